package dev.vertice.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceNamesTest {

  @ParameterizedTest
  @CsvSource({
    "OSINT_SERVICE, osint-service",
    "osint-service, osint-service",
    "'  Maximus.Core_Service ', maximus-core-service",
    "a, a",
    "immunis-nk-cell, immunis-nk-cell",
    "V2, v2"
  })
  void normalisesToCanonicalDnsLabel(String input, String expected) {
    assertEquals(Optional.of(expected), ServiceNames.normalize(input));
    assertTrue(ServiceNames.isCanonical(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "-leading", "trailing-", "_x", "has space", "slash/name", "ünïcode", "*",
      "a234567890123456789012345678901234567890123456789012345678901234"})
  void rejectsNamesWithoutCanonicalForm(String input) {
    assertEquals(Optional.empty(), ServiceNames.normalize(input));
    assertFalse(ServiceNames.isCanonical(input));
  }

  @org.junit.jupiter.api.Test
  void rejectsNull() {
    assertEquals(Optional.empty(), ServiceNames.normalize(null));
  }
}

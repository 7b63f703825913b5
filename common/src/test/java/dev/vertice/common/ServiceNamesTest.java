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

  /** The check without a regular expression agrees with the rule's regular expression, in place too. */
  @org.junit.jupiter.api.Test
  void canonicalCheckAgreesWithTheRuleAsARegex() {
    java.util.regex.Pattern rule = java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    java.util.Random random = new java.util.Random(17);
    String alphabet = "ab9-_.Z/ ";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int len = random.nextInt(6) == 0 ? 60 + random.nextInt(6) : random.nextInt(8);
      for (int j = 0; j < len; j++) {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String name = b.toString();
      boolean expected = rule.matcher(name).matches();
      assertEquals(expected, ServiceNames.isCanonical(name), name);
      assertEquals(expected, ServiceNames.isCanonical("/" + name + "/rest", 1, 1 + name.length()), name);
    }
  }
}

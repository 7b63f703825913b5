package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlPlaneAddressesTest {

  @AfterEach
  void clearProperty() {
    System.clearProperty(ControlPlaneAddresses.SYSTEM_PROPERTY);
  }

  @Test
  void parsesACommaSeparatedListInOrderIgnoringSpaces() {
    ControlPlaneAddresses a = ControlPlaneAddresses.parse(" cp-1.example:7700, 10.0.0.2:7701 ,[::1]:7702");
    assertEquals(List.of("cp-1.example:7700", "10.0.0.2:7701", "[::1]:7702"), a.addresses());
    assertEquals("cp-1.example:7700,10.0.0.2:7701,[::1]:7702", a.toString());
  }

  @Test
  void rejectsMalformedEntriesQuotingThem() {
    for (String bad : List.of("cp-1", "cp-1:", ":7700", "cp-1:0", "cp-1:65536", "cp-1:http", "cp 1:7700",
        "::1:7700", "a:1,,b:2")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ControlPlaneAddresses.parse(bad), bad);
      assertTrue(e.getMessage().contains("'") && (e.getMessage().contains(bad) || bad.contains(",,")),
          bad + " -> " + e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ControlPlaneAddresses.parse(" "));
    assertThrows(IllegalArgumentException.class, () -> new ControlPlaneAddresses(List.of()));
  }

  @Test
  void fromEnvironmentPrefersTheSystemPropertyAndDefaultsToLocalhost() {
    System.setProperty(ControlPlaneAddresses.SYSTEM_PROPERTY, "a:1,b:2");
    assertEquals(List.of("a:1", "b:2"), ControlPlaneAddresses.fromEnvironment().addresses());
    System.clearProperty(ControlPlaneAddresses.SYSTEM_PROPERTY);
    String env = System.getenv(ControlPlaneAddresses.ENV_VAR);
    String expected = env == null || env.isBlank() ? ControlPlaneAddresses.DEFAULT_ADDRESS : env.strip();
    assertEquals(expected, ControlPlaneAddresses.fromEnvironment().toString());
  }
}

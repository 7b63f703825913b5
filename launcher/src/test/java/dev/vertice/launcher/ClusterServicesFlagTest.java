package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code cluster up} and {@code cluster services} read {@code --services} by one rule, and refuse before starting anything. */
@Timeout(30)
class ClusterServicesFlagTest {

  @TempDir
  Path dir;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "Bad Name!|is not a canonical service name",
    "' , '|names no service"
  })
  void upAndServicesRefuseABadServicesValueWithExit2(String value, String problem) {
    for (List<String> command : List.of(
        List.of("cluster", "up", "--dir", dir.toString(), "--services", value),
        List.of("cluster", "services", "--control-plane", "127.0.0.1:1", "--services", value))) {
      StringWriter err = new StringWriter();
      int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), command.toArray(String[]::new));
      assertEquals(2, code, command + ": " + err);
      assertTrue(err.toString().contains("invalid --services") && err.toString().contains(problem), command + ": " + err);
    }
  }

  @Test
  void seedExpandsToTheSeedServicesWithoutRepeats() {
    List<String> names = ClusterState.serviceNames(List.of("test-service", "seed", " test-service "));
    assertEquals("test-service", names.get(0));
    assertEquals(names.size(), names.stream().distinct().count());
    assertTrue(names.size() > 1, names.toString());
  }
}

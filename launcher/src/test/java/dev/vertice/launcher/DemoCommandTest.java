package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DemoCommandTest {

  @org.junit.jupiter.api.Test
  void helpDocumentsTheSettingsAndVersionIsTheLabel() {
    StringWriter out = new StringWriter();
    assertEquals(0, DemoCommand.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "--help"));
    for (String s : new String[] {"--service", "VERTICE_DEMO_SERVICE", "--version", "Default: v1", "--latency-ms",
        "--error-rate", "--protocol"}) {
      assertTrue(out.toString().contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--protocol|ftp|--protocol",
    "--port|70000|--port",
    "--port|x|--port",
    "--latency-ms|-1|--latency-ms",
    "--error-rate|1.5|--error-rate",
    "--service|,|--service"
  })
  void invalidSettingExitsWith2AndNamesIt(String option, String value, String named) {
    StringWriter err = new StringWriter();
    int code = DemoCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), option, value);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(named), err.toString());
  }
}

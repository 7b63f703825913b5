package dev.vertice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DemoCommandTest {

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

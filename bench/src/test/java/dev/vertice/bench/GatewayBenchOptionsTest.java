package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code bench gateway} refuses bad gRPC options with exit code 2 naming the flag, before it starts anything. */
class GatewayBenchOptionsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--grpc-connections|0,32|--grpc-connections",
      "--grpc-connections|-1|--grpc-connections",
      "--grpc-streams|0|--grpc-streams",
      "--grpc-rate|fast|--grpc-rate",
      "--grpc-rate|-5|--grpc-rate"})
  void badGrpcOptionExitsWithTwoNamingTheFlag(String option, String value, String named) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new BenchCommand());
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    assertEquals(2, cli.execute("gateway", option, value));
    assertTrue(err.toString().contains(named), err.toString());
  }
}

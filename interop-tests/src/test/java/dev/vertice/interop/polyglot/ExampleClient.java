package dev.vertice.interop.polyglot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ExampleClient} is one of the generated example clients under {@code examples/}, and how to
 * run it: Python on Debian's {@code /usr/bin/python3} with code generated from proto/ for this run,
 * Node with the packages {@code npm ci} installed.
 */
enum ExampleClient {
  PYTHON("python-example"),
  NODE("node-example");

  /** The repository root: the parent of this module's directory (Maven runs tests there). */
  static final Path ROOT = Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
  private static final Path PYTHON_GEN = ROOT.resolve("interop-tests/target/python-gen");
  private static boolean pythonGenerated; // guarded by ExampleClient.class

  /** The Node.kind the client sends on its Watch stream. */
  final String nodeKind;

  ExampleClient(String nodeKind) {
    this.nodeKind = nodeKind;
  }

  /** Starts the client with {@code --target address --json} and {@code args}. */
  ClientProcess start(String address, String... args) {
    List<String> command = new ArrayList<>();
    Map<String, String> env;
    if (this == PYTHON) {
      generatePython();
      command.addAll(List.of("/usr/bin/python3", "-u", ROOT.resolve("examples/python/vertice_client.py").toString()));
      env = Map.of("VERTICE_PYTHON_GEN", PYTHON_GEN.toString());
    } else {
      Path grpcJs = ROOT.resolve("examples/node/node_modules/@grpc/grpc-js");
      if (!Files.isDirectory(grpcJs)) {
        throw new AssertionError(grpcJs + " is missing: run `npm ci` in examples/node (scripts/test does)");
      }
      command.addAll(List.of("node", ROOT.resolve("examples/node/vertice-client.js").toString()));
      env = Map.of();
    }
    command.addAll(List.of("--target", address, "--json"));
    command.addAll(List.of(args));
    return ClientProcess.start(name().toLowerCase() + " " + args[0], command, env, ROOT,
        ROOT.resolve("interop-tests/target/client-logs"));
  }

  /** Generates the Python modules from proto/ once per test run, with the script users run. */
  private static synchronized void generatePython() {
    if (pythonGenerated) {
      return;
    }
    try {
      Process p = new ProcessBuilder(ROOT.resolve("examples/python/generate.sh").toString(), PYTHON_GEN.toString())
          .redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new AssertionError("examples/python/generate.sh failed:\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while generating the Python code", e);
    }
    pythonGenerated = true;
  }
}

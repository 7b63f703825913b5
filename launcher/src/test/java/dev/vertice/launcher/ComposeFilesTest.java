package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * compose/ without a Docker engine: every compose file passes {@code docker-compose config -q}
 * (Debian's docker-compose, installed by scripts/test), and in its resolved form every build context
 * and Dockerfile exists, every file or directory a service mounts exists, and every image names a
 * pinned version.
 */
class ComposeFilesTest {

  private static final Path COMPOSE = Path.of("..", "compose").toAbsolutePath().normalize();
  private static final Pattern CONTEXT = Pattern.compile("^\\s+context: (\\S+)\\s*$", Pattern.MULTILINE);
  private static final Pattern DOCKERFILE = Pattern.compile("^\\s+dockerfile: (\\S+)\\s*$", Pattern.MULTILINE);
  private static final Pattern BIND = Pattern.compile("^\\s+- (/[^:\\s]*):([^:\\s]+)(:\\S+)?\\s*$", Pattern.MULTILINE);
  private static final Pattern IMAGE = Pattern.compile("^\\s+image: (\\S+)\\s*$", Pattern.MULTILINE);

  @Test
  void everyComposeFileIsValidAndEverythingItNamesExists() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(COMPOSE)) {
      files = s.filter(p -> p.getFileName().toString().matches("docker-compose.*\\.ya?ml")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no compose file in " + COMPOSE);
    for (Path f : files) {
      Result quiet = compose(f, "config", "-q");
      assertEquals(0, quiet.code(), f + ": " + quiet.output());
      Result resolved = compose(f, "config");
      assertEquals(0, resolved.code(), f + ": " + resolved.output());
      List<String> problems = problems(resolved.output());
      assertTrue(problems.isEmpty(), f + ": " + problems);
      assertTrue(CONTEXT.matcher(resolved.output()).find(), f + " builds no image");
    }
    assertTrue(Files.isExecutable(COMPOSE.resolve("alertmanager/entrypoint.sh")), "entrypoint.sh is executable");
  }

  /**
   * Every Vertice target of monitoring/prometheus/prometheus.yml is a compose service whose command,
   * parsed by the real command line, listens with its admin port on that port and on every
   * interface (a loopback-only admin port cannot be scraped from the Prometheus container).
   */
  @Test
  void prometheusScrapesTheAdminPortsComposeOpens() throws Exception {
    String prometheus = Files.readString(COMPOSE.resolve("../monitoring/prometheus/prometheus.yml"));
    Result resolved = compose(COMPOSE.resolve("docker-compose.yml"), "config");
    assertEquals(0, resolved.code(), resolved.output());
    Matcher job = Pattern.compile("job_name: (vertice-\\S+)\\s+static_configs:\\s+- targets: \\[([^]]*)]")
        .matcher(prometheus);
    int checked = 0;
    while (job.find()) {
      for (String target : job.group(2).split(",")) {
        String hostPort = target.strip().replace("\"", "");
        String service = hostPort.substring(0, hostPort.indexOf(':'));
        int port = Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1));
        List<String> command = command(resolved.output(), service);
        assertFalse(command.isEmpty(), job.group(1) + " scrapes " + hostPort + ": no compose service " + service);
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(command.toArray(String[]::new));
        while (parsed.hasSubcommand()) {
          parsed = parsed.subcommand();
        }
        CommandLine.Model.CommandSpec spec = parsed.commandSpec();
        assertEquals(port, (int) spec.findOption("--admin-port").getValue(), service + "'s admin port");
        CommandLine.Model.OptionSpec host = spec.findOption("--admin-host") != null ? spec.findOption("--admin-host")
            : spec.findOption("--host");
        assertEquals("0.0.0.0", host.getValue(), service + "'s admin port listens on " + host.longestName());
        checked++;
      }
    }
    assertTrue(checked >= 6, "checked " + checked + " targets");
  }

  /** Returns the command of {@code service} in the output of {@code docker-compose config}, or empty. */
  private static List<String> command(String config, String service) {
    Matcher block = Pattern.compile("(?ms)^  " + Pattern.quote(service) + ":\\n(.*?)(?=^  \\S|^\\S|\\z)")
        .matcher(config);
    if (!block.find()) {
      return List.of();
    }
    Matcher cmd = Pattern.compile("(?ms)^    command:\\n((?:^    - .*?\\n)+)").matcher(block.group(1));
    if (!cmd.find()) {
      return List.of();
    }
    List<String> args = new ArrayList<>();
    for (String line : cmd.group(1).split("\\n")) {
      String v = line.substring("    - ".length()).strip();
      args.add(v.startsWith("'") && v.endsWith("'") ? v.substring(1, v.length() - 1) : v);
    }
    return args;
  }

  @Test
  void theCheckFindsAMissingMountAContextAndAnUnpinnedImage() {
    String config = String.join("\n", "services:", "  a:", "    build:", "      context: /no/such/context",
        "      dockerfile: Dockerfile", "    image: redis:latest", "    volumes:", "    - /no/such/file.yml:/etc/x.yml:ro",
        "    - data:/data:rw", "  b:", "    image: busybox", "");
    List<String> problems = problems(config);
    assertTrue(problems.contains("build context /no/such/context does not exist"), problems.toString());
    assertTrue(problems.contains("mounted /no/such/file.yml does not exist"), problems.toString());
    assertTrue(problems.contains("image redis:latest is not pinned to a version"), problems.toString());
    assertTrue(problems.contains("image busybox is not pinned to a version"), problems.toString());
  }

  /** Lists what the resolved configuration names but does not exist, and unpinned images. */
  static List<String> problems(String config) {
    List<String> problems = new ArrayList<>();
    Matcher c = CONTEXT.matcher(config);
    List<Path> contexts = new ArrayList<>();
    while (c.find()) {
      Path p = Path.of(c.group(1));
      contexts.add(p);
      if (!Files.isDirectory(p)) {
        problems.add("build context " + p + " does not exist");
      }
    }
    Matcher d = DOCKERFILE.matcher(config);
    while (d.find()) {
      boolean found = contexts.stream().anyMatch(ctx -> Files.isRegularFile(ctx.resolve(d.group(1))));
      if (!found && !contexts.isEmpty() && contexts.stream().allMatch(Files::isDirectory)) {
        problems.add("Dockerfile " + d.group(1) + " does not exist in its context");
      }
    }
    Matcher b = BIND.matcher(config);
    while (b.find()) {
      if (!Files.exists(Path.of(b.group(1)))) {
        problems.add("mounted " + b.group(1) + " does not exist");
      }
    }
    Matcher i = IMAGE.matcher(config);
    while (i.find()) {
      String image = i.group(1);
      String tag = image.contains(":") ? image.substring(image.lastIndexOf(':') + 1) : "";
      if (tag.isEmpty() || tag.equals("latest") || !tag.matches(".*\\d.*")) {
        problems.add("image " + image + " is not pinned to a version");
      }
    }
    return problems;
  }

  record Result(int code, String output) {}

  private static Result compose(Path file, String... args) throws IOException, InterruptedException {
    Path binary = Path.of("/usr/bin/docker-compose");
    assertTrue(Files.isExecutable(binary), "docker-compose is not installed: ./vertice test installs it"
        + " (apt-get install docker-compose)");
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-f", file.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(COMPOSE.toFile()).redirectErrorStream(true);
    // Resolve as a user without a compose/.env would: no value from this machine's environment.
    pb.environment().remove("TELEGRAM_BOT_TOKEN");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "docker-compose finished");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}

package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short runs of {@code vertice bench push} and {@code bench memory} as users run them: the control
 * plane, the watcher processes and etcd each in its own process. They check the plumbing (every
 * change reached every watcher, the JSON fields the README quotes, the processes gone), never a
 * figure.
 */
class PushBenchProcessTest {

  private static final String NUMBER = "[0-9.]+";

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void oneChangeAtATimeReachesVerticeAndEtcdWatchersInOtherProcesses(@TempDir Path dir) throws Exception {
    Path samples = dir.resolve("samples.csv");
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result r = cli.start("bench", "push", "--watchers", "3", "--connections", "2",
          "--watcher-processes", "2", "--rounds", "4", "--warmup-seconds", "0", "--peer", "etcd", "--json",
          "--samples", samples.toString())
          .await(Duration.ofSeconds(140));
      assertEquals(0, r.code(), r.err());
      List<String> rows = r.lines();
      assertEquals(1, rows.size(), r.out());
      String row = rows.get(0);
      assertTrue(row.startsWith("{\"bench\":\"push\",\"mode\":\"out-of-process\",\"watchers\":3,\"connections\":2,"
          + "\"watcher_processes\":2,\"services\":1,\"rounds\":4,"), row);
      for (String field : List.of("p50_ms", "p99_ms", "max_ms", "register_p50_ms", "peer_p50_ms", "peer_p99_ms",
          "peer_max_ms", "peer_put_p50_ms", "p50_vs_peer", "p99_vs_peer")) {
        assertTrue(Pattern.compile("\"" + field + "\":" + NUMBER + "[,}]").matcher(row).find(), field + ": " + row);
      }
      assertTrue(row.contains("\"peer\":\"etcd\""), row);
      assertTrue(row.contains("\"p999_ms\":null"), "4 changes give no p99.9: " + row);
      assertTrue(r.err().contains("p99_vs_peer"), "the table on stderr:\n" + r.err());
      // Every measured change of both targets, in order, on the wall clock of today.
      List<String> csv = Files.readAllLines(samples);
      assertEquals("target,watchers,connections,start_us,to_last_watcher_us,write_us", csv.get(0));
      assertEquals(9, csv.size(), String.join("\n", csv));
      long now = System.currentTimeMillis() * 1_000;
      long previous = 0;
      for (int i = 1; i < csv.size(); i++) {
        String[] f = csv.get(i).split(",");
        assertEquals(i <= 4 ? "vertice" : "etcd", f[0], csv.get(i));
        assertEquals(List.of("3", "2"), List.of(f[1], f[2]), csv.get(i));
        long start = Long.parseLong(f[3]);
        assertTrue(start > now - 600_000_000L && start <= now + 600_000_000L, "start within 10 minutes: " + csv.get(i));
        assertTrue(start > previous, "in the order made: " + csv.get(i));
        previous = start;
        assertTrue(Long.parseLong(f[4]) >= 0 && Long.parseLong(f[5]) > 0, csv.get(i));
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aStreamOverSeveralServicesLosesNoChangeAndTheRateSearchEnds(@TempDir Path dir) throws Exception {
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result r = cli.start("bench", "push", "--watchers", "4", "--connections", "all",
          "--services", "2", "--rate", "10", "--rate-search", "--max-rate", "20", "--p99-limit-ms", "100000",
          "--seconds", "1", "--warmup-seconds", "1", "--json").await(Duration.ofSeconds(110));
      assertEquals(0, r.code(), r.err());
      Pattern step = Pattern.compile("\\{\"bench\":\"push\",\"mode\":\"stream\",\"watchers\":4,\"connections\":4,"
          + "\"watcher_processes\":1,\"services\":2,\"rate\":(\\d+),\"seconds\":1,\"warmup_s\":1,"
          + "\"warmup_rate\":10,\"warmup_p99_ms\":" + NUMBER + ",\"changes\":(\\d+),"
          + "\"achieved_rate\":" + NUMBER + ",\"lost\":(\\d+),\"p50_ms\":" + NUMBER + ",.*\"sustained\":\"yes\".*");
      List<String> rows = r.lines();
      assertEquals(3, rows.size(), r.out());
      for (int i = 0; i < 2; i++) {
        Matcher m = step.matcher(rows.get(i));
        assertTrue(m.matches(), rows.get(i));
        assertEquals(i == 0 ? "10" : "20", m.group(1));
        assertEquals("0", m.group(3), "lost changes: " + rows.get(i));
      }
      assertTrue(rows.get(2).contains("\"mode\":\"stream-max\"") && rows.get(2).contains("\"max_sustained_rate\":20"),
          rows.get(2));
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void memoryIsReadFromAControlPlaneProcessHoldingRealStreams(@TempDir Path dir) throws Exception {
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result r = cli.start("bench", "memory", "--instances", "200", "--services", "10",
          "--streams", "20", "--connections", "2", "--json").await(Duration.ofSeconds(110));
      assertEquals(0, r.code(), r.err());
      List<String> rows = r.lines();
      assertEquals(1, rows.size(), r.out());
      assertTrue(Pattern.compile("\\{\"bench\":\"memory\",\"mode\":\"out-of-process\",\"instances\":200,"
          + "\"services\":10,\"streams\":20,\"connections\":2,\"base_heap_mb\":" + NUMBER + ",\"base_rss_mb\":"
          + NUMBER + ",\"heap_bytes_per_instance\":-?" + NUMBER + ",\"rss_bytes_per_instance\":-?" + NUMBER
          + ",\"heap_bytes_per_stream\":-?" + NUMBER + ",\"rss_bytes_per_stream\":-?" + NUMBER + ",\"heap_mb\":"
          + NUMBER + ",\"rss_mb\":" + NUMBER + "}").matcher(rows.get(0)).matches(), rows.get(0));
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void badShapesAreRefusedNamingTheFlag(@TempDir Path dir) throws Exception {
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result conns = cli.run("bench", "push", "--connections", "eight");
      assertEquals(2, conns.code(), conns.err());
      assertTrue(conns.err().contains("--connections"), conns.err());
      LauncherProcess.Result peer = cli.run("bench", "push", "--peer", "zookeeper");
      assertEquals(2, peer.code(), peer.err());
      assertTrue(peer.err().contains("--peer"), peer.err());
      LauncherProcess.Result samples = cli.run("bench", "push", "--samples",
          dir.resolve("no-such-directory").resolve("samples.csv").toString());
      assertEquals(2, samples.code(), samples.err());
      assertTrue(samples.err().contains("--samples"), samples.err());
      LauncherProcess.Result warmup = cli.run("bench", "push", "--rate", "1000", "--warmup-seconds", "-1");
      assertEquals(2, warmup.code(), warmup.err());
      assertTrue(warmup.err().contains("--warmup-seconds"), warmup.err());
      LauncherProcess.Result seconds = cli.run("bench", "push", "--rate", "1000", "--seconds", "0");
      assertEquals(2, seconds.code(), seconds.err());
      assertTrue(seconds.err().contains("--seconds"), seconds.err());
      LauncherProcess.Result search = cli.run("bench", "push", "--rate-search");
      assertEquals(2, search.code(), search.err());
      assertTrue(search.err().contains("--rate"), search.err());
    }
  }
}

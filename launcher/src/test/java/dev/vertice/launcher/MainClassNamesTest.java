package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The main classes named as strings (so that their users do not load them) name the real ones. */
class MainClassNamesTest {

  @Test
  void clusterStartsTheLauncherMain() {
    assertEquals(Main.class.getName(), ClusterCommand.MAIN);
  }

  @Test
  void verticeScriptStartsTheSidecarThroughItsOwnMain() throws IOException {
    Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("vertice");
    String text = Files.readString(script);
    assertTrue(text.contains(" " + SidecarCommand.class.getName() + " \"$@\""), "the vertice script runs "
        + SidecarCommand.class.getName());
  }
}

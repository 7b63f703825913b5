package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcessDefaultsTest {

  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(ProcessDefaults.LEAK_DETECTION);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(ProcessDefaults.LEAK_DETECTION);
    } else {
      System.setProperty(ProcessDefaults.LEAK_DETECTION, saved);
    }
  }

  @Test
  void nettysLeakDetectorIsOffUnlessTheUserChoseALevel() {
    System.clearProperty(ProcessDefaults.LEAK_DETECTION);
    ProcessDefaults.apply();
    assertEquals("disabled", System.getProperty(ProcessDefaults.LEAK_DETECTION));

    System.setProperty(ProcessDefaults.LEAK_DETECTION, "paranoid");
    ProcessDefaults.apply();
    assertEquals("paranoid", System.getProperty(ProcessDefaults.LEAK_DETECTION), "a level set with -D wins");
  }
}

package dev.vertice.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Validates monitoring/alertmanager/alertmanager.yml with amtool: syntax, routing, no secrets. */
class AlertmanagerConfigTest {

  private static final String CONFIG = "alertmanager/alertmanager.yml";

  @Test
  void configIsValidWithFourInhibitionRulesAndThreeReceivers() throws Exception {
    String out = Tool.ok("amtool", "check-config", CONFIG);
    assertTrue(out.contains("SUCCESS"), out);
    assertTrue(out.contains("4 inhibit rules"), out);
    assertTrue(out.contains("3 receivers"), out);
  }

  @ParameterizedTest
  @CsvSource({"critical,pagerduty-email-slack", "warning,email-slack", "info,telegram"})
  void severityRoutesToItsReceivers(String severity, String receiver) throws Exception {
    String out = Tool.ok("amtool", "config", "routes", "test", "--config.file=" + CONFIG,
        "severity=" + severity, "alertname=Test");
    assertEquals(receiver, out.lines().filter(l -> !l.startsWith("Warning")).findFirst().orElse("").strip());
  }

  @Test
  void groupingAndRepeatIntervalsFollowSeverity() throws Exception {
    String yml = Files.readString(Tool.MONITORING.resolve(CONFIG), StandardCharsets.UTF_8);
    assertTrue(yml.contains("group_interval: 5m"), "5 min grouping");
    assertTrue(Pattern.compile("severity=\"critical\"\\]\\n\\s+receiver: \\S+\\n\\s+repeat_interval: 1h").matcher(yml)
        .find(), "critical repeats hourly");
    assertTrue(Pattern.compile("severity=\"warning\"\\]\\n\\s+receiver: \\S+\\n\\s+repeat_interval: 6h").matcher(yml)
        .find(), "warning repeats every 6 h");
    assertTrue(Pattern.compile("severity=\"info\"\\]\\n\\s+receiver: \\S+\\n\\s+repeat_interval: 24h").matcher(yml)
        .find(), "info repeats daily");
  }

  @Test
  void noSecretIsCommitted() throws Exception {
    String yml = Files.readString(Tool.MONITORING.resolve(CONFIG), StandardCharsets.UTF_8);
    // Keys, webhook URLs and passwords are read from files; the Telegram token from the environment.
    assertFalse(Pattern.compile("(?m)^\\s*(routing_key|service_key|api_url|auth_password|smtp_auth_password"
        + "|slack_api_url):").matcher(yml).find(), "a secret field holds a literal value");
    assertFalse(yml.contains("hooks.slack.com"), "a Slack webhook URL is committed");
    assertTrue(yml.contains("bot_token: '${TELEGRAM_BOT_TOKEN}'"), "the Telegram token comes from the environment");
  }
}

package dev.vertice.launcher;

import picocli.CommandLine.Option;

/**
 * {@code ControlPlaneAddressFlag} is the {@code --control-plane} flag ({@code VERTICE_CONTROL_PLANE})
 * of every command that connects to the control plane, declared once as a picocli mixin.
 *
 * <p>Its default and its description differ per command (the gateway's default is {@code
 * 127.0.0.1:7700}, the sidecar's {@code localhost:7700}, the canary CLI takes one replica only): the
 * command's resource bundle, a {@link FlagTexts}, gives them. The command checks the value, in its
 * own words.
 */
final class ControlPlaneAddressFlag {

  @Option(names = "--control-plane", paramLabel = "<controlPlane>",
      defaultValue = "${env:VERTICE_CONTROL_PLANE:-${bundle:" + FlagTexts.CONTROL_PLANE_DEFAULT + "}}",
      descriptionKey = FlagTexts.CONTROL_PLANE,
      description = DESCRIPTION)
  String value;

  /** The flag's description where the command's bundle gives none (the sidecar's table uses it too). */
  static final String DESCRIPTION = "Control-plane replicas, host:port separated by commas (VERTICE_CONTROL_PLANE)."
      + " Default: ${DEFAULT-VALUE}.";

  /** Returns the flag's value: host:port, separated by commas. */
  String value() {
    return value;
  }
}

package dev.vertice.launcher;

import picocli.CommandLine.Option;

/**
 * {@code ControlPlaneTlsFlags} are the flags that secure a long-running component's connection to
 * the control plane ({@code --control-plane-ca}, {@code -cert}, {@code -key}, {@code -token-file},
 * each with its {@code VERTICE_CONTROL_PLANE_*} variable), declared once as a picocli mixin for the
 * gateway and the sidecar. The command hands them to {@code TlsFlagRules} (with {@code
 * ClientFlags.CONTROL_PLANE}) and words a bad one as it words its other flags. The canary CLI's
 * {@code --ca}, {@code --cert}, {@code --key} and {@code --token-file} are other flags.
 */
final class ControlPlaneTlsFlags {

  @Option(names = "--control-plane-ca", paramLabel = "<controlPlaneCa>",
      defaultValue = "${env:VERTICE_CONTROL_PLANE_CA:-}",
      descriptionKey = FlagTexts.CONTROL_PLANE_CA,
      description = CA_DESCRIPTION)
  String ca;

  @Option(names = "--control-plane-cert", paramLabel = "<controlPlaneCert>",
      defaultValue = "${env:VERTICE_CONTROL_PLANE_CERT:-}",
      description = CERT_DESCRIPTION)
  String cert;

  @Option(names = "--control-plane-key", paramLabel = "<controlPlaneKey>",
      defaultValue = "${env:VERTICE_CONTROL_PLANE_KEY:-}",
      description = KEY_DESCRIPTION)
  String key;

  @Option(names = "--control-plane-token-file", paramLabel = "<controlPlaneTokenFile>",
      defaultValue = "${env:VERTICE_CONTROL_PLANE_TOKEN_FILE:-}",
      description = TOKEN_FILE_DESCRIPTION)
  String tokenFile;

  // The descriptions, which the sidecar's own table (SidecarFlags) shares.
  static final String CA_DESCRIPTION = "PEM CA bundle the control plane's certificate is verified against; turns"
      + " TLS on for the control-plane connection (VERTICE_CONTROL_PLANE_CA). Default: none (plaintext, with a"
      + " warning).";
  static final String CERT_DESCRIPTION = "PEM client certificate presented to the control plane (mutual TLS)"
      + " (VERTICE_CONTROL_PLANE_CERT). Default: none.";
  static final String KEY_DESCRIPTION = "PKCS#8 PEM private key of --control-plane-cert"
      + " (VERTICE_CONTROL_PLANE_KEY). Default: none.";
  static final String TOKEN_FILE_DESCRIPTION = "File holding a bearer token sent on every control-plane call,"
      + " re-read when it changes; TLS only (VERTICE_CONTROL_PLANE_TOKEN_FILE). Default: none.";
}

package dev.vertice.launcher;

/** {@code BuildInfo} says which build runs: the version from the jar's manifest. */
final class BuildInfo {

  private BuildInfo() {}

  /** Returns the build's version, from the jar manifest, or {@code dev} when run from classes. */
  static String version() {
    String v = BuildInfo.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}

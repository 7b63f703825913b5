package dev.vertice.sidecar;

/**
 * {@code InvalidSettingException} says which sidecar setting is invalid and why. The setting is
 * named as its command-line flag without dashes ({@code port}, {@code probe-interval}), so that
 * the command can name the flag and its environment variable.
 */
public final class InvalidSettingException extends IllegalArgumentException {

  private final String setting;

  /** {@code InvalidSettingException} names {@code setting} and describes the {@code problem}. */
  public InvalidSettingException(String setting, String problem) {
    super(setting + ": " + problem);
    this.setting = setting;
  }

  /** {@code setting} returns the setting's name, as its flag without the leading dashes. */
  public String setting() {
    return setting;
  }
}

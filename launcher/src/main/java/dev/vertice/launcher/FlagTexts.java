package dev.vertice.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.ListResourceBundle;

/**
 * {@code FlagTexts} is a command's resource bundle holding what its shared flags ({@link
 * ControlPlaneAddressFlag}, {@link ControlPlaneTlsFlags}, {@link CliConnectionFlags}) say in that command: the default of {@code
 * --control-plane} and the descriptions that differ. A command names its subclass in {@code
 * @Command(resourceBundle = ...)}; picocli passes the bundle on to its subcommands.
 */
abstract class FlagTexts extends ListResourceBundle {

  /** Key of {@code --control-plane}'s default, used when VERTICE_CONTROL_PLANE is unset. */
  static final String CONTROL_PLANE_DEFAULT = "control-plane.default";
  /** Key of {@code --control-plane}'s description. */
  static final String CONTROL_PLANE = "control-plane";
  /** Key of {@code --control-plane-ca}'s description. */
  static final String CONTROL_PLANE_CA = "control-plane-ca";
  /** Key of the CLI's {@code --timeout} description ({@link CliConnectionFlags}). */
  static final String TIMEOUT = "timeout";

  private final Object[][] contents;

  /**
   * {@code FlagTexts} holds {@code defaultAddresses}, and the descriptions given (a null one keeps
   * the mixin's own).
   */
  FlagTexts(String defaultAddresses, String addressDescription, String caDescription) {
    this(defaultAddresses, addressDescription, caDescription, null);
  }

  /**
   * {@code FlagTexts} holds {@code defaultAddresses}, and the descriptions given, {@code --timeout}'s
   * too (a null one keeps the mixin's own).
   */
  FlagTexts(String defaultAddresses, String addressDescription, String caDescription, String timeoutDescription) {
    List<Object[]> c = new ArrayList<>();
    c.add(new Object[] {CONTROL_PLANE_DEFAULT, defaultAddresses});
    if (addressDescription != null) {
      c.add(new Object[] {CONTROL_PLANE, addressDescription});
    }
    if (caDescription != null) {
      c.add(new Object[] {CONTROL_PLANE_CA, caDescription});
    }
    if (timeoutDescription != null) {
      c.add(new Object[] {TIMEOUT, timeoutDescription});
    }
    this.contents = c.toArray(new Object[0][]);
  }

  @Override
  protected Object[][] getContents() {
    return contents;
  }
}

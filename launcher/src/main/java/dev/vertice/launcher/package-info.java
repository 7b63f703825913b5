/**
 * The {@code vertice} command: every command of the project ({@code dev}, {@code cluster}, {@code
 * control-plane}, {@code gateway}, {@code sidecar}, {@code canary}, {@code demo}; {@code bench} comes from
 * the bench module, whose subcommands are the benchmarks themselves), picocli only here.
 *
 * <p>Owns: parsing flags and their {@code VERTICE_*} environment variables, turning them into each
 * component's config (the flags map to builder calls, nothing else), the exit codes (2 for invalid
 * configuration, naming the flag), logging setup, shutdown hooks and process supervision ({@code
 * cluster}). The flags several commands share are declared once as mixins: {@link
 * dev.vertice.launcher.ControlPlaneAddressFlag}, {@link dev.vertice.launcher.ControlPlaneTlsFlags}
 * (each command's defaults and words in its {@link dev.vertice.launcher.FlagTexts} bundle), {@link
 * dev.vertice.launcher.DurationConverter}; {@link dev.vertice.launcher.TlsFlags} adapts the TLS
 * rules of {@code security} to picocli.
 *
 * <p>May not touch: the components' behaviour. Nothing here routes, stores, probes or pushes; a
 * component runs the same when embedded as a library. {@link dev.vertice.launcher.SidecarCommand}
 * has its own {@code main} (what {@code ./vertice sidecar} starts) and must not reach {@link
 * dev.vertice.launcher.Main}, another command or picocli, so that a sidecar's JVM loads only its
 * classes: its flags are {@link dev.vertice.launcher.SidecarFlags}, which shares the descriptions of
 * the control-plane mixins' flags.
 */
package dev.vertice.launcher;

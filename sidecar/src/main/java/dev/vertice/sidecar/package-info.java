/**
 * The sidecar, a library: registers an app with the control plane, probes its health, drains it on
 * shutdown, and serves it a local endpoint cache.
 *
 * <p>Owns: {@link dev.vertice.sidecar.Sidecar} (the entry point, its phase and its resources) and
 * its parts {@code Prober} (probing), {@code Registrar} (registration and health with the control
 * plane), {@code Drainer} (the drain) and {@code Supervisor} (the app as a child process, with
 * {@code exec}), which share the sidecar's lock; {@link
 * dev.vertice.sidecar.SidecarConfig} (which holds the {@link dev.vertice.client.InstanceSpec} it
 * registers); the local API for the app; the sidecar's meters. {@code internal} holds the probes,
 * the HTTP client, JSON and the shared Netty event loop: not API.
 *
 * <p>May not touch: command-line parsing (the {@code vertice sidecar} command, its flags and exit
 * codes live in {@code dev.vertice.launcher.SidecarCommand}: no picocli here), the control plane's
 * or the gateway's classes (it talks to the control plane through {@code client} only), and
 * process-wide state such as logging configuration or shutdown hooks.
 */
package dev.vertice.sidecar;

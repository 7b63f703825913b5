/** The sidecar: registers an app, probes its health, drains it on shutdown, and serves it a local endpoint cache. */
package dev.vertice.sidecar;

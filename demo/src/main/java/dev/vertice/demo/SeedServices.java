package dev.vertice.demo;

import java.util.List;

/** {@code SeedServices} lists the 22 services of the system Vertice replaces, for the dev mode and demos. */
public final class SeedServices {

  /** The seed document's services, in its order. */
  public static final List<String> NAMES = List.of(
      "nmap-service", "osint-service", "ssl-monitor-service", "vuln-scanner-service", "maximus-core-service",
      "maximus-oraculo", "maximus-eureka", "maximus-integration", "maximus-orchestrator", "maximus-predict",
      "active-immune-core", "adaptive-immune-system", "immunis-bcell", "immunis-cytotoxic-t", "immunis-dendritic",
      "immunis-helper-t", "immunis-macrophage", "immunis-neutrophil", "immunis-nk-cell", "immunis-treg",
      "immunis-api", "test-service");

  private SeedServices() {}
}

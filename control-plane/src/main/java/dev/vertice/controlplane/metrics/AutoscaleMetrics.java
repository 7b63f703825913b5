package dev.vertice.controlplane.metrics;

import dev.vertice.controlplane.autoscale.LoadSignals;
import dev.vertice.controlplane.autoscale.Signals;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * {@code AutoscaleMetrics} exports the autoscaling signals for the Prometheus adapter (HPA):
 * per service, and per version of a service, the load the gateways last reported.
 *
 * <p>Exported (Prometheus names): {@code vertice_autoscale_requests_per_second{service}}, {@code
 * vertice_autoscale_in_flight{service}}, {@code vertice_autoscale_latency_p99_seconds{service}},
 * {@code vertice_autoscale_error_ratio{service}}, the same four as {@code
 * vertice_autoscale_version_*{service,version}}, {@code vertice_autoscale_reporters}, {@code
 * vertice_autoscale_activity_streams} and {@code vertice_autoscale_dropped_reports_total}. Labels
 * are bounded: the busiest {@code maxExportedServices} services and, of each, the busiest {@code
 * maxExportedVersions} versions; a service without traffic has no series. Refreshed at most once
 * a second after a change.
 */
public final class AutoscaleMetrics {

  private final MeterRegistry registry;
  private final List<Family> services = new ArrayList<>();
  private final List<Family> versions = new ArrayList<>();

  /** One signal, exported per service and per version. */
  private record Family(MultiGauge gauge, ToDoubleFunction<Signals> value) {}

  /** Creates the meters in {@code registry}. */
  public AutoscaleMetrics(MeterRegistry registry) {
    this.registry = registry;
    family("requests.per.second", null, "Requests per second that finished, reported by the gateways",
        Signals::requestsPerSecond);
    family("in.flight", null, "Requests in flight at the end of the gateways' last intervals", s -> s.inFlight());
    family("latency.p99", "seconds", "99th percentile latency over the gateways' last intervals",
        s -> s.p99Millis() / 1000);
    family("error.ratio", null, "Failed requests / requests over the gateways' last intervals",
        Signals::errorRate);
  }

  private void family(String name, String unit, String description, ToDoubleFunction<Signals> value) {
    services.add(new Family(MultiGauge.builder("vertice.autoscale." + name).baseUnit(unit)
        .description(description + ", per service").register(registry), value));
    versions.add(new Family(MultiGauge.builder("vertice.autoscale.version." + name).baseUnit(unit)
        .description(description + ", per version of a service").register(registry), value));
  }

  /** Exports {@code signals} from now on. */
  public void bind(LoadSignals signals) {
    Gauge.builder("vertice.autoscale.reporters", signals, LoadSignals::reporters)
        .description("Reporters whose last stats batch the autoscaling signals hold").register(registry);
    Gauge.builder("vertice.autoscale.activity.streams", signals, LoadSignals::watchCount)
        .description("Open StreamIsActive streams (KEDA external-push)").register(registry);
    FunctionCounter.builder("vertice.autoscale.dropped.reports", signals, LoadSignals::droppedReports)
        .description("Stats batches not used for autoscaling: too many reporters").register(registry);
    signals.onExport(this::export);
  }

  /** Replaces every series with {@code rows}. */
  void export(List<LoadSignals.Row> rows) {
    for (int f = 0; f < services.size(); f++) {
      ToDoubleFunction<Signals> value = services.get(f).value();
      List<MultiGauge.Row<?>> perService = new ArrayList<>();
      List<MultiGauge.Row<?>> perVersion = new ArrayList<>();
      for (LoadSignals.Row r : rows) {
        double v = value.applyAsDouble(r.signals());
        if (r.version() == null) {
          perService.add(MultiGauge.Row.of(Tags.of("service", r.service()), v));
        } else {
          perVersion.add(MultiGauge.Row.of(Tags.of("service", r.service(), "version", r.version()), v));
        }
      }
      services.get(f).gauge().register(perService, true);
      versions.get(f).gauge().register(perVersion, true);
    }
  }
}

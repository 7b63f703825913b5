package dev.vertice.observability;

import java.lang.management.ClassLoadingMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadMXBean;

/**
 * {@code JvmMeters} binds to {@link SmallMetrics} the JVM and process series that every component
 * exports and the dashboards and alerts read, under Micrometer's names: {@code jvm_memory_*_bytes}
 * by {@code area} and {@code id}, {@code jvm_gc_pause_seconds} (by {@code gc}; as totals of the
 * JVM's collector beans, without Micrometer's {@code action} and {@code cause} labels and {@code
 * _max}), {@code jvm_threads_*}, {@code jvm_classes_loaded_classes}, {@code process_cpu_usage},
 * {@code process_files_*}, {@code process_start_time_seconds}, {@code process_uptime_seconds} and
 * {@code system_*}. Each is read from the platform's management beans at each scrape.
 */
final class JvmMeters {

  private JvmMeters() {}

  static void bind(SmallMetrics m) {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      String[] tags = {"area", pool.getType() == MemoryType.HEAP ? "heap" : "nonheap", "id", pool.getName()};
      m.gauge("jvm.memory.used", "bytes", "The amount of used memory", () -> pool.getUsage().getUsed(), tags);
      m.gauge("jvm.memory.committed", "bytes",
          "The amount of memory in bytes that is committed for the Java virtual machine to use",
          () -> pool.getUsage().getCommitted(), tags);
      m.gauge("jvm.memory.max", "bytes", "The maximum amount of memory in bytes that can be used for memory management",
          () -> pool.getUsage().getMax(), tags);
    }
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      m.summary("jvm.gc.pause", "seconds", "Time spent in GC pause", gc::getCollectionCount,
          () -> gc.getCollectionTime() / 1e3, "gc", gc.getName());
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    m.gauge("jvm.threads.live", "threads",
        "The current number of live threads including both daemon and non-daemon threads", threads::getThreadCount);
    m.gauge("jvm.threads.daemon", "threads", "The current number of live daemon threads",
        threads::getDaemonThreadCount);
    m.gauge("jvm.threads.peak", "threads",
        "The peak live thread count since the Java virtual machine started or peak was reset",
        threads::getPeakThreadCount);
    ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
    m.gauge("jvm.classes.loaded", "classes",
        "The number of classes that are currently loaded in the Java virtual machine", classes::getLoadedClassCount);

    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      m.gauge("process.cpu.usage", null, "The \"recent cpu usage\" for the Java Virtual Machine process",
          sun::getProcessCpuLoad);
      m.gauge("system.cpu.usage", null, "The \"recent cpu usage\" of the system the application is running in",
          sun::getCpuLoad);
    }
    m.gauge("system.cpu.count", null, "The number of processors available to the Java virtual machine",
        os::getAvailableProcessors);
    m.gauge("system.load.average.1m", null, "The sum of the number of runnable entities queued to available"
        + " processors and the number of runnable entities running on the available processors averaged over a"
        + " period of time", os::getSystemLoadAverage);
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      m.gauge("process.files.open", "files", "The open file descriptor count", unix::getOpenFileDescriptorCount);
      m.gauge("process.files.max", "files", "The maximum file descriptor count", unix::getMaxFileDescriptorCount);
    }
    RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
    m.gauge("process.start.time", "seconds", "Start time of the process since unix epoch.",
        () -> runtime.getStartTime() / 1e3);
    m.gauge("process.uptime", "seconds", "The uptime of the Java virtual machine", () -> runtime.getUptime() / 1e3);
  }
}

package dev.vertice.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code Report} collects benchmark rows and prints them as an aligned table and as JSON lines.
 */
final class Report {

  private final String bench;
  private final boolean json;
  private final List<Map<String, Object>> rows = new ArrayList<>();

  Report(String bench, boolean json) {
    this.bench = bench;
    this.json = json;
  }

  /** Adds one run: field name to value (numbers or strings), in display order. */
  void add(Map<String, Object> fields) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", bench);
    row.putAll(fields);
    rows.add(row);
    if (json) {
      System.out.println(toJson(row));
      System.out.flush();
    }
  }

  /** Prints the table: on stdout, or on stderr when JSON went to stdout. */
  void printTable() {
    PrintStream out = json ? System.err : System.out;
    if (rows.isEmpty()) {
      return;
    }
    List<String> cols = new ArrayList<>(rows.get(0).keySet());
    int[] widths = new int[cols.size()];
    for (int i = 0; i < cols.size(); i++) {
      widths[i] = cols.get(i).length();
      for (Map<String, Object> r : rows) {
        widths[i] = Math.max(widths[i], format(r.get(cols.get(i))).length());
      }
    }
    StringBuilder header = new StringBuilder();
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < cols.size(); i++) {
      header.append(String.format("%-" + widths[i] + "s  ", cols.get(i)));
      char[] dashes = new char[widths[i]];
      Arrays.fill(dashes, '-');
      rule.append(dashes).append("  ");
    }
    out.println(header.toString().stripTrailing());
    out.println(rule.toString().stripTrailing());
    for (Map<String, Object> r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < cols.size(); i++) {
        line.append(String.format("%" + (i == 0 ? "-" : "") + widths[i] + "s  ", format(r.get(cols.get(i)))));
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  static String toJson(Map<String, Object> row) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, Object> e : row.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(e.getKey()).append("\":");
      Object v = e.getValue();
      if (v == null) {
        sb.append("null");
      } else if (v instanceof Number n) {
        sb.append(format(n));
      } else {
        sb.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    return sb.append('}').toString();
  }

  private static String format(Object v) {
    if (v == null) {
      return "-";
    }
    if (v instanceof Double d) {
      return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.3f", d);
    }
    return String.valueOf(v);
  }

  /** Returns the value at quantile {@code q} (0..1) of {@code sorted}, nearest rank. */
  static long quantile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  static double millis(long nanos) {
    return nanos / 1e6;
  }
}

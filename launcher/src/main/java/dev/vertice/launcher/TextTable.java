package dev.vertice.launcher;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code TextTable} prints rows under a header as left-aligned columns separated by two spaces, each
 * as wide as its widest cell (as {@code kubectl get} and {@code consul catalog} do). An empty cell
 * prints as {@code -}, so that every row splits into the same number of words.
 */
final class TextTable {

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(String... header) {
    this.header = List.of(header);
  }

  /** {@code row} adds a row of as many cells as the header has. */
  TextTable row(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("a row of " + cells.length + " cells under " + header.size() + " columns");
    }
    List<String> r = new ArrayList<>(cells.length);
    for (String c : cells) {
      r.add(c == null || c.isEmpty() ? "-" : c);
    }
    rows.add(r);
    return this;
  }

  /** {@code print} prints the header and the rows, one line each, without trailing spaces. */
  void print(PrintWriter out) {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> r : all) {
      for (int i = 0; i < r.size(); i++) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    for (List<String> r : all) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        b.append(r.get(i));
        if (i < r.size() - 1) {
          b.append(" ".repeat(widths[i] - r.get(i).length() + 2));
        }
      }
      out.println(b);
    }
  }
}

package io.tempora.deploy;

import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundled quick-start dataset ({@code sample/dataset.tsv}): an ontology and records drawn from
 * DOMAIN.md's worked examples, in a tab-separated format documented in the file itself.
 *
 * @param ontology the ontology to apply first
 * @param records the records, one per identity, in file order
 */
public record SampleDataset(Ontology ontology, List<RecordInput> records) {
  private static final String RESOURCE = "/sample/dataset.tsv";

  /** Loads the bundled dataset from the classpath. */
  public static SampleDataset load() {
    try (InputStream in = SampleDataset.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("bundled dataset " + RESOURCE + " is missing");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  static SampleDataset parse(BufferedReader in) throws IOException {
    List<IdentityKey> keys = new ArrayList<>();
    List<StrongIdentifier> strong = new ArrayList<>();
    List<Constraint> constraints = new ArrayList<>();
    List<IgnoredValues> ignored = new ArrayList<>();
    Map<Identity, List<Descriptor>> records = new LinkedHashMap<>();
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "key" -> keys.add(new IdentityKey(f[1], List.of(f[2].split(",")), List.of()));
        case "strong" -> strong.add(new StrongIdentifier(f[1], List.of()));
        case "constraint" ->
            constraints.add(new Constraint(f[1], f[2], ConstraintKind.valueOf(f[3]), List.of()));
        case "ignored" -> ignored.add(new IgnoredValues(f[1], List.of(f[2].split(",")), List.of()));
        case "rec" ->
            records
                .computeIfAbsent(Identity.of(f[1], f[2], f[3]), k -> new ArrayList<>())
                .add(Descriptor.of(f[4], f[5], instant(f[6]), instant(f[7])));
        default ->
            throw new IllegalArgumentException("dataset line " + n + ": unknown kind " + f[0]);
      }
    }
    List<RecordInput> out = new ArrayList<>();
    records.forEach((id, ds) -> out.add(new RecordInput(id, ds)));
    return new SampleDataset(new Ontology(keys, strong, constraints, ignored), out);
  }

  private static Long instant(String s) {
    return s.isEmpty() ? null : Long.parseLong(s);
  }
}

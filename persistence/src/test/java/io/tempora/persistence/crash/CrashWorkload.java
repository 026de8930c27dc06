package io.tempora.persistence.crash;

import io.tempora.engine.Engine;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The crash test's requests (STORAGE.md ST-T1): upserts, updates and deletes of person records
 * linked by a shared {@code email} key. Each writer thread of each cycle owns its own uids, so the
 * state of those uids is a function of the prefix of that thread's requests that committed. A
 * request is one text line so the child can log it before submitting and the checker can replay it.
 */
final class CrashWorkload {
  static final String TYPE = "person";
  static final String PERSPECTIVE = "crm";
  static final int UIDS_PER_THREAD = 10;
  static final int EMAILS = 40;

  /** One identity key on {@code email}: records sharing an email are one entity. */
  static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of(TYPE))),
          List.of(),
          List.of(),
          List.of());

  private CrashWorkload() {}

  /** A record's content as the model holds it. */
  record Rec(String email, String name, long nameFrom) {
    List<Descriptor> descriptors() {
      return List.of(
          Descriptor.always("email", email), Descriptor.of("name", name, nameFrom, null));
    }
  }

  /** An upsert (records non-empty) or a delete (uids non-empty) of one thread's uids. */
  record Request(Map<String, Rec> upserts, List<String> deletes) {
    static Request random(Random rnd, String uidPrefix) {
      int n = 1 + rnd.nextInt(3);
      Set<String> uids = new LinkedHashSet<>();
      while (uids.size() < n) {
        uids.add(uidPrefix + rnd.nextInt(UIDS_PER_THREAD));
      }
      if (rnd.nextInt(100) < 20) {
        return new Request(Map.of(), List.copyOf(uids));
      }
      Map<String, Rec> up = new TreeMap<>();
      for (String uid : uids) {
        up.put(uid, new Rec("e" + rnd.nextInt(EMAILS), "n" + rnd.nextInt(1000), rnd.nextInt(100)));
      }
      return new Request(up, List.of());
    }

    /** {@code U uid|email|name|from;...} or {@code D uid;...}. */
    String encode() {
      if (!deletes.isEmpty()) {
        return "D " + String.join(";", deletes);
      }
      List<String> parts = new ArrayList<>();
      upserts.forEach((u, r) -> parts.add(u + "|" + r.email + "|" + r.name + "|" + r.nameFrom));
      return "U " + String.join(";", parts);
    }

    static Request decode(String s) {
      String body = s.substring(2);
      if (s.startsWith("D ")) {
        return new Request(Map.of(), List.of(body.split(";")));
      }
      Map<String, Rec> up = new TreeMap<>();
      for (String p : body.split(";")) {
        String[] f = p.split("\\|");
        up.put(f[0], new Rec(f[1], f[2], Long.parseLong(f[3])));
      }
      return new Request(up, List.of());
    }

    void applyTo(Engine engine) {
      if (!deletes.isEmpty()) {
        engine.delete(deletes.stream().map(CrashWorkload::identity).toList());
      } else {
        List<RecordInput> in = new ArrayList<>();
        upserts.forEach((u, r) -> in.add(new RecordInput(identity(u), r.descriptors())));
        engine.upsert(in);
      }
    }

    /** The model: live records by uid. */
    void applyTo(Map<String, Rec> model) {
      deletes.forEach(model::remove);
      model.putAll(upserts);
    }
  }

  static Identity identity(String uid) {
    return Identity.of(TYPE, PERSPECTIVE, uid);
  }

  /** The live content of {@code uid} in the engine, or null if unknown or deleted. */
  static Descriptors liveContent(Engine engine, String uid) {
    try {
      RecordInfo info = engine.reader().getRecord(identity(uid));
      return info.live() ? info.descriptors() : null;
    } catch (NotFoundException e) {
      return null;
    }
  }

  static Descriptors content(Rec r) {
    return r == null ? null : Descriptors.of(r.descriptors());
  }
}

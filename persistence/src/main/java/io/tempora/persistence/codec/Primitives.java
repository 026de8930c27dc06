package io.tempora.persistence.codec;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.tempora.engine.model.Identity;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.List;

/** Field encodings shared by the serializers; instants are enc(t), big-endian (STORAGE.md §2). */
final class Primitives {
  private Primitives() {}

  static void instant(Output out, long t) {
    long u = t ^ Long.MIN_VALUE;
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.writeByte((int) (u >>> shift));
    }
  }

  static long instant(Input in) {
    long u = 0;
    for (int k = 0; k < 8; k++) {
      u = (u << 8) | (in.readByte() & 0xFF);
    }
    return u ^ Long.MIN_VALUE;
  }

  static void interval(Output out, Interval i) {
    instant(out, i.start());
    instant(out, i.end());
  }

  static Interval interval(Input in) {
    long s = instant(in);
    return new Interval(s, instant(in));
  }

  static void intervals(Output out, IntervalSet set) {
    out.writeVarInt(set.size(), true);
    for (int k = 0; k < set.size(); k++) {
      instant(out, set.start(k));
      instant(out, set.end(k));
    }
  }

  static IntervalSet intervals(Input in) {
    int n = in.readVarInt(true);
    List<Interval> pieces = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      pieces.add(interval(in));
    }
    return IntervalSet.union(pieces);
  }

  static void identity(Output out, Identity id) {
    out.writeString(id.entityType());
    out.writeString(id.perspective());
    out.writeString(id.uid());
  }

  static Identity identity(Input in) {
    return new Identity(in.readString(), in.readString(), in.readString());
  }

  static void identities(Output out, List<Identity> ids) {
    out.writeVarInt(ids.size(), true);
    ids.forEach(id -> identity(out, id));
  }

  static List<Identity> identities(Input in) {
    int n = in.readVarInt(true);
    List<Identity> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(identity(in));
    }
    return out;
  }

  static void strings(Output out, List<String> list) {
    out.writeVarInt(list.size(), true);
    list.forEach(out::writeString);
  }

  static List<String> strings(Input in) {
    int n = in.readVarInt(true);
    List<String> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(in.readString());
    }
    return out;
  }

  static void ids(Output out, List<Long> ids) {
    out.writeVarInt(ids.size(), true);
    ids.forEach(id -> out.writeVarLong(id, true));
  }

  static List<Long> ids(Input in) {
    int n = in.readVarInt(true);
    List<Long> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(in.readVarLong(true));
    }
    return out;
  }

  static <E extends Enum<E>> E enumOf(E[] values, int ordinal, String what) {
    if (ordinal < 0 || ordinal >= values.length) {
      throw new IllegalArgumentException("unknown " + what + " code " + ordinal);
    }
    return values[ordinal];
  }
}

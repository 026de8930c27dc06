/**
 * Stored value encodings: hand-written Kryo serializers with fixed registration ids, each value led
 * by a layout byte. The only package of Tempora that imports Kryo (STORAGE.md ST-5).
 */
package io.tempora.persistence.codec;

#!/usr/bin/env python3
"""An independent XDF 1.0 reader, written from the specification
(https://github.com/sccn/xdf/wiki/Specifications), used by the tests to check files written by
src/lib/formats/xdf-writer.ts. Standard library only (struct, xml.etree); it shares no code with
the TypeScript reader. Prints one JSON document on stdout:

  {"file_header": {tag: text, ...}, "boundaries": n, "chunk_tags": [...],
   "streams": [{"id", "header": {field: text}, "channels": [{label, unit, type}], "desc_xml",
                "timestamps": [...], "values": [[...], ...], "clock_offsets": [[time, value], ...],
                "footer": {field: text}, "footer_offsets": [[time, value], ...]}]}

Missing timestamps are the previous sample's + 1/nominal_srate (the specification). int64 values
are printed as strings (JSON numbers lose them beyond 2^53); non-finite floats as "NaN",
"Infinity", "-Infinity". Exits 1 with a message on anything that breaks the specification.

Usage: python3 tests/peers/xdf_read.py file.xdf
"""
import json
import math
import struct
import sys
import xml.etree.ElementTree as ET

FORMATS = {"int8": ("b", 1), "int16": ("h", 2), "int32": ("i", 4), "int64": ("q", 8),
           "float32": ("f", 4), "double64": ("d", 8), "string": (None, 0)}
BOUNDARY = bytes([0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4])


class Bad(Exception):
    pass


class Cursor:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def take(self, n, what):
        if n < 0 or self.pos + n > self.end:
            raise Bad(f"{what}: needs {n} bytes at {self.pos}, {self.end - self.pos} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt, what):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))[0]

    def varlen(self, what):
        width = self.unpack("B", what + " width")
        if width == 1:
            return self.unpack("B", what)
        if width == 4:
            return self.unpack("I", what)
        if width == 8:
            return self.unpack("Q", what)
        raise Bad(f"{what}: varlen width {width} is not 1, 4 or 8")


def fields(root):
    return {c.tag: (c.text or "") for c in root}


def number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def read(data):
    if data[:4] != b"XDF:":
        raise Bad("magic is not XDF:")
    c = Cursor(data, 4)
    out = {"file_header": None, "boundaries": 0, "chunk_tags": [], "streams": []}
    streams = {}
    while c.pos < c.end:
        length = c.varlen("chunk length")
        body = Cursor(data, c.pos, c.pos + length)
        c.take(length, "chunk")
        tag = body.unpack("H", "tag")
        out["chunk_tags"].append(tag)
        if tag == 1:
            out["file_header"] = fields(ET.fromstring(body.take(body.end - body.pos, "xml")))
            continue
        if tag == 5:
            if body.take(16, "boundary") != BOUNDARY:
                raise Bad("boundary chunk with a wrong UUID")
            out["boundaries"] += 1
            continue
        sid = body.unpack("I", "stream id")
        if tag == 2:
            xml = body.take(body.end - body.pos, "xml")
            root = ET.fromstring(xml)
            h = fields(root)
            chans = root.find("desc/channels")
            desc = root.find("desc")
            s = {"id": sid, "header": h,
                 "channels": [{k: (ch.findtext(k) or "") for k in ("label", "unit", "type")} for ch in (chans if chans is not None else [])],
                 "desc_xml": ET.tostring(desc, encoding="unicode") if desc is not None else None,
                 "timestamps": [], "values": [], "clock_offsets": [], "footer": None, "footer_offsets": []}
            if h.get("channel_format") not in FORMATS:
                raise Bad(f"stream {sid}: channel_format {h.get('channel_format')!r}")
            s["_n"] = int(h["channel_count"])
            srate = float(h.get("nominal_srate") or 0)
            s["_tdiff"] = 1.0 / srate if srate > 0 else 0.0
            s["_last"] = 0.0
            streams[sid] = s
            out["streams"].append(s)
            continue
        if sid not in streams:
            raise Bad(f"chunk tag {tag} for stream {sid} before its header")
        s = streams[sid]
        if tag == 3:
            fmt, size = FORMATS[s["header"]["channel_format"]]
            count = body.varlen("sample count")
            for _ in range(count):
                tsb = body.unpack("B", "timestamp bytes")
                if tsb == 8:
                    ts = body.unpack("d", "timestamp")
                elif tsb == 0:
                    ts = s["_last"] + s["_tdiff"]
                else:
                    raise Bad(f"timestamp bytes {tsb}")
                s["_last"] = ts
                s["timestamps"].append(ts)
                if fmt is None:
                    row = [body.take(body.varlen("string length"), "string").decode("utf-8") for _ in range(s["_n"])]
                else:
                    row = list(struct.unpack("<" + fmt * s["_n"], body.take(size * s["_n"], "values")))
                    row = [str(v) for v in row] if fmt == "q" else [number(v) for v in row]
                s["values"].append(row)
            if body.pos != body.end:
                raise Bad(f"samples chunk of stream {sid}: {body.end - body.pos} bytes left over")
        elif tag == 4:
            s["clock_offsets"].append([body.unpack("d", "collection time"), body.unpack("d", "offset")])
        elif tag == 6:
            root = ET.fromstring(body.take(body.end - body.pos, "xml"))
            s["footer"] = fields(root)
            s["footer_offsets"] = [[float(o.findtext("time")), float(o.findtext("value"))] for o in root.findall("clock_offsets/offset")]
        else:
            raise Bad(f"unknown chunk tag {tag}")
    for s in out["streams"]:
        for k in ("_n", "_tdiff", "_last"):
            del s[k]
    return out


if __name__ == "__main__":
    try:
        with open(sys.argv[1], "rb") as f:
            print(json.dumps(read(f.read())))
    except (Bad, ET.ParseError, UnicodeDecodeError, KeyError, ValueError) as e:
        print(f"xdf_read.py: {e}", file=sys.stderr)
        sys.exit(1)

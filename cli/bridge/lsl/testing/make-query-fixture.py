#!/usr/bin/env python3
"""Generates testing/fixtures/xpath-queries.json: LSL stream queries (XPath 1.0 predicates, as
liblsl's resolve_bypred takes them) evaluated by libxml2's XPath engine (Debian's python3-lxml) on
a liblsl-style stream info document, the peer answers query.spec.ts compares ours with.
Usage: /usr/bin/python3 cli/bridge/lsl/testing/make-query-fixture.py
"""
import json
import os
from lxml import etree

DOC = """<?xml version="1.0"?>
<info>
\t<name>BioSemi</name>
\t<type>EEG</type>
\t<channel_count>3</channel_count>
\t<channel_format>float32</channel_format>
\t<source_id>myuid34234</source_id>
\t<nominal_srate>100.0000000000000</nominal_srate>
\t<version>1.100000000000000</version>
\t<created_at>653103.2669222999</created_at>
\t<uid>fa3e14ab-b621-480e-a9d5-c740f0e47140</uid>
\t<session_id>default</session_id>
\t<hostname>lab-pc</hostname>
\t<v4address></v4address>
\t<v4data_port>16572</v4data_port>
\t<v4service_port>16572</v4service_port>
\t<v6address></v6address>
\t<v6data_port>0</v6data_port>
\t<v6service_port>0</v6service_port>
\t<desc>
\t\t<manufacturer>BioSemi &amp; Co</manufacturer>
\t\t<channels>
\t\t\t<channel kind="scalp"><label>Fp1</label><unit>microvolts</unit><type>EEG</type></channel>
\t\t\t<channel kind="scalp"><label>Fp2</label><unit>microvolts</unit><type>EEG</type></channel>
\t\t\t<channel kind="aux"><label>EOG</label><unit>microvolts</unit><type>EOG</type></channel>
\t\t</channels>
\t</desc>
</info>
"""

QUERIES = [
    "session_id='default' and name='BioSemi'",
    "session_id='default' and name='biosemi'",
    "type='EEG'",
    "type!='EEG'",
    "name='BioSemi' or type='Markers'",
    "not(type='Markers')",
    "channel_count='3' and name='BioSemi' and type='EEG' and source_id='myuid34234' and channel_format='float32'",
    "channel_count=3",
    "channel_count>2 and channel_count<=3",
    "nominal_srate>=100",
    "nominal_srate=100",
    "nominal_srate='100'",
    "starts-with(name,'Bio')",
    "starts-with(name,'bio')",
    "contains(hostname,'lab')",
    "contains(uid,'-')",
    "string-length(source_id)=10",
    "count(desc/channels/channel)=3",
    "count(desc/channels/channel[type='EEG'])=2",
    "desc/channels/channel/label='EOG'",
    "desc/channels/channel/label='Cz'",
    "desc/channels/channel[2]/label='Fp2'",
    "desc/channels/channel[last()]/label='EOG'",
    "desc/channels/channel[position()=1]/label='Fp1'",
    "desc/channels/channel[@kind='aux']/label='EOG'",
    "count(desc/channels/channel[@kind='scalp'])=2",
    "count(//channel)=3",
    "count(//label)=3",
    "/info/name='BioSemi'",
    "//manufacturer='BioSemi & Co'",
    "desc/manufacturer",
    "desc/nothing",
    "v4address=''",
    "v4address",
    "string(v4address)=''",
    "boolean(v6address)",
    "number(v6data_port)=0",
    "v4data_port + 1 = 16573",
    "v4data_port - 16572 = 0",
    "channel_count * 2 = 6",
    "channel_count div 2 = 1.5",
    "channel_count mod 2 = 1",
    "-channel_count = -3",
    "(name='x' or name='BioSemi') and type='EEG'",
    "name='BioSemi' and (type='x' or type='y')",
    "concat(name, '-', type)='BioSemi-EEG'",
    "substring(name, 1, 3)='Bio'",
    "substring-before(uid, '-')='fa3e14ab'",
    "substring-after(version, '.')='100000000000000'",
    "translate(name, 'BS', 'bs')='biosemi'",
    "normalize-space('  a   b ')='a b'",
    "floor(created_at)=653103",
    "ceiling(created_at)=653104",
    "round(created_at)=653103",
    "sum(desc/channels/channel/label)!=sum(desc/channels/channel/label)",
    "name(desc/*[1])='manufacturer'",
    "local-name(.)='info'",
    "count(*)=18",
    "count(desc/*)=2",
    "count(desc/channels/channel/@*)=3",
    "desc/channels/channel[label='Fp1']/unit='microvolts'",
    "desc/channels/channel[label='Fp1'][@kind='aux']",
    "../info/name='BioSemi'",
    "count(desc/channels/channel[type='EEG'] | desc/channels/channel[label='EOG'])=3",
    "self::info",
    "count(child::desc/descendant::label)=3",
    "count(descendant-or-self::channel)=3",
    "true() and not(false())",
    "'abc' = 'abc'",
    "1 = 1.0",
    "'1' = 1",
    "'' = 0",
    "desc/channels/channel/label = desc/channels/channel/type",
    "desc/channels/channel/type = 'EOG'",
    "desc/channels/channel/type != 'EEG'",
    "desc/nothing = desc/nothing",
    "desc/nothing != 'x'",
    "desc/channels = true()",
    "desc/nothing = false()",
    "name",
    "nothing",
    "''",
    "'x'",
    "0",
    "2",
]


def main():
    root = etree.fromstring(DOC.encode())
    out = {"generator": "cli/bridge/lsl/testing/make-query-fixture.py", "engine": f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))} via lxml {etree.__version__}", "document": DOC, "queries": []}
    for q in QUERIES:
        out["queries"].append({"query": q, "matches": bool(root.xpath(f"boolean({q})"))})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "xpath-queries.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

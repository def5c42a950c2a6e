#!/usr/bin/python3
"""Read .pyp files the way Orange Canvas / NeuroPype's Pipeline Designer reads a scheme, and print
what it sees as JSON (one object per file). Used live by tests/unit/pyp-examples.spec.ts when
Debian's python3 is present; standard library only.

    /usr/bin/python3 tests/formats/pyp_check.py a.pyp b.pyp

Per file: the <scheme> attributes, every node's attributes (position through ast.literal_eval),
links, each <properties> block decoded as the designer does (format="literal" → ast.literal_eval,
"pickle" → refused here), and the <patch> through json.loads (which accepts NaN/Infinity, as
NeuroPype's engine does). Any failure is reported as {"error": "..."} for that file.
"""
import ast
import json
import sys
import xml.etree.ElementTree as ET


def read(path):
    root = ET.parse(path).getroot()
    out = {'root': root.tag, 'attrs': dict(root.attrib), 'children': [c.tag for c in root]}
    out['nodes'] = []
    for n in root.find('nodes'):
        a = dict(n.attrib)
        a['position'] = list(ast.literal_eval(a['position']))
        out['nodes'].append(a)
    out['links'] = [dict(l.attrib) for l in root.find('links')]
    props = []
    for p in root.find('node_properties'):
        if p.get('format') != 'literal':
            raise ValueError(f"properties of node {p.get('node_id')} are not literal")
        props.append({'node_id': p.get('node_id'), 'value': ast.literal_eval(p.text)})
    out['properties'] = props
    patch = root.find('patch')
    out['patch'] = json.loads(patch.text) if patch is not None and patch.text and patch.text.strip() else None
    return out


def main():
    result = {}
    for path in sys.argv[1:]:
        try:
            result[path] = read(path)
        except Exception as e:  # noqa: BLE001 - any failure is the answer for that file
            result[path] = {'error': f'{type(e).__name__}: {e}'}
    json.dump(result, sys.stdout, default=repr)


if __name__ == '__main__':
    main()

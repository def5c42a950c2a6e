#!/usr/bin/python3
"""Pickle cases for src/lib/formats/pickle.spec.ts and the variant-A .pyp fixture for pyp.spec.ts.

Run with Debian's Python (no third-party package needed):
    /usr/bin/python3 tests/formats/pickles.py
Writes tests/formats/pickles.json and tests/formats/variant-a-pickles.pyp (commit both).

Benign cases are pickled by CPython's own pickler (protocols 0-4) and their expected values come
from CPython's unpickler, through a restricted Unpickler whose find_class allows only what
pickle.ts allows. QByteArray geometry is made as NeuroPype's designer stores it (PYP.md §1.5):
a reduce to sip._unpickle_type('PyQt5.QtCore', 'QByteArray', (bytes,)), here from a stand-in
`sip` module (PyQt is not needed). Hostile cases are pickled by CPython too where it can make
them (os.system, eval, a class instance, a cycle) and hand-assembled where it cannot (huge
lengths, deep nesting, memo blow-up, opcodes no pickler writes on its own).
"""
import base64
import io
import json
import math
import os
import pickle
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))

# --- a stand-in for PyQt's sip module, so pickles name sip._unpickle_type as the real ones do
sip = types.ModuleType('sip')


def _unpickle_type(module, name, args):
    return QByteArrayStandIn(module, args[0])


_unpickle_type.__module__ = 'sip'
sip._unpickle_type = _unpickle_type
sys.modules['sip'] = sip


class QByteArrayStandIn:
    def __init__(self, module, data):
        self.module = module
        self.data = data

    def __reduce__(self):
        return (sip._unpickle_type, (self.module, 'QByteArray', (self.data,)))


class RestrictedUnpickler(pickle.Unpickler):
    """CPython's unpickler limited to pickle.ts's allow-list (the peer for the expected values)."""

    ALLOWED = {('sip', '_unpickle_type'), ('builtins', 'set'), ('builtins', 'frozenset'), ('_codecs', 'encode')}

    def find_class(self, module, name):
        if (({'__builtin__': 'builtins', 'copy_reg': 'copyreg'}.get(module, module)), name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f'{module}.{name} refused')
        return super().find_class(module, name)


def to_json(v):
    """Expected value in the spec's JSON vocabulary (tuples and sets become lists, as in pickle.ts)."""
    if isinstance(v, QByteArrayStandIn):
        return {'$object': v.module + '.QByteArray', 'hex': v.data.hex()}
    if isinstance(v, (bytes, bytearray)):
        return {'$bytes': bytes(v).hex()}
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 - 1 else {'$int': str(v)}
    if isinstance(v, float):
        return v if math.isfinite(v) else {'$float': repr(v)}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {'$set': sorted(to_json(x) for x in v)}
    if isinstance(v, dict):
        # Non-str keys as pickle.ts spells them (JavaScript's String(), which json.dumps matches for
        # the key types used here: 2 → "2", 1.5 → "1.5", True → "true", None → "null").
        return {json.dumps(k) if not isinstance(k, str) else k: to_json(x) for k, x in v.items()}
    raise TypeError(type(v))


GEOMETRY = bytes.fromhex('01d9d0cb000200000000025800000118000004c3000002a500000260000001370000'
                         '04bb0000029d00000000000000000780')

# NeuroPype-like settings dicts (PYP.md §3 parameters), with the geometry the designer adds.
SETTINGS = {
    'iir': {'frequencies': [8, 9, 13, 14], 'mode': 'bandpass', 'order': '(use default)', 'stop_atten': 50.0,
            'offline_filtfilt': False, 'axis': 'time', 'design': 'butter', 'ignore_nans': False, 'pass_loss': 3.0},
    'segmentation': {'time_bounds': [-0.2, 0.8], 'online_epoching': 'marker-locked', 'max_gap_length': 0.2,
                     'select_markers': '(use default)', 'verbose': False, 'keep_marker_chunk': False, 'sample_offset': 0},
    'assign_targets': {'mapping': {'left': 0, 'right': 1}, 'is_categorical': True, 'iv_column': 'Marker'},
}

BENIGN = {
    'scalars': [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**53 - 1, -2**53 + 1,
                0.5, -1e-300, 1.7976931348623157e308, 'text', 'ünïcödé ✓ 𝄞', '', b'\x00\xffbytes'],
    'big_ints': [2**53, -2**53, 2**64 + 7, -(2**100)],
    'non_finite': [math.inf, -math.inf],
    'containers': {'list': [1, [2, [3, []]]], 'tuple': (1, 'a', (None,)), 'empty': ((), [], {}),
                   'nested': {'a': {'b': {'c': [1.5]}}}, 'tuple1': (1,), 'tuple2': (1, 2), 'tuple3': (1, 2, 3),
                   'tuple4': (1, 2, 3, 4)},
    'dict_keys': {2: 'int', 1.5: 'float', True: 'bool', None: 'none', 'str': 'str'},
    'sets': {'set': {3, 1, 2}, 'frozen': frozenset({5, 4}), 'empty': set()},
    'shared': (lambda x: [x, x, {'again': x}])([1, 2]),
    'long_list': list(range(1100)),  # the pickler batches APPENDS by 1000
    'long_text': 'x' * 300,  # past SHORT_BINUNICODE's 255
    'qbytearray_pyqt5': {'savedWidgetGeometry': QByteArrayStandIn('PyQt5.QtCore', GEOMETRY), **SETTINGS['iir']},
    'qbytearray_pyqt4': {'savedWidgetGeometry': QByteArrayStandIn('PyQt4.QtCore', GEOMETRY), **SETTINGS['segmentation']},
}


def benign_cases():
    out = []
    for name, value in BENIGN.items():
        for protocol in (0, 1, 2, 3, 4):
            data = pickle.dumps(value, protocol=protocol)
            loaded = RestrictedUnpickler(io.BytesIO(data)).load()
            out.append({'name': f'{name} (protocol {protocol})', 'protocol': protocol, 'base64': base64.b64encode(data).decode(),
                        'expected': to_json(loaded)})
    return out


# --- hostile pickles

class Evil:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class Thing:
    pass


def cpython_hostile():
    cases = []
    for protocol in (0, 2, 3, 4):
        cases.append((f'os.system via REDUCE (protocol {protocol})', pickle.dumps(Evil(os.system, 'echo pwned'), protocol), os.system.__module__ + '.system'))
        cases.append((f'eval via REDUCE (protocol {protocol})', pickle.dumps(Evil(eval, '1+1'), protocol), 'builtins.eval'))
        cases.append((f'getattr gadget (protocol {protocol})', pickle.dumps(Evil(getattr, 1, 'real'), protocol), 'builtins.getattr'))
        # Protocols 0-1 wrap the class in copyreg._reconstructor, refused first.
        cases.append((f'a class instance (protocol {protocol})', pickle.dumps({'x': Thing()}, protocol), 'copyreg._reconstructor' if protocol < 2 else '__main__.Thing'))
    cases.append(('os.system inside a settings dict', pickle.dumps({'a': 1, 'b': [Evil(os.system, 'id')]}, 3), 'posix.system'))
    # A geometry-looking call of another Qt type: the global is allowed, its use is not.
    class Other:
        def __reduce__(self):
            return (sip._unpickle_type, ('PyQt5.QtCore', 'QProcess', (b'',)))
    cases.append(('sip._unpickle_type of another Qt type', pickle.dumps(Other(), 3), 'PyQt5.QtCore.QProcess'))
    cyc = []
    cyc.append(cyc)
    cases.append(('a list that contains itself', pickle.dumps(cyc, 4), 'contains itself'))
    d = {}
    d['self'] = d
    cases.append(('a dict that contains itself', pickle.dumps(d, 2), 'contains itself'))
    return cases


def crafted_hostile():
    P4 = b'\x80\x04'
    cases = [
        ('BINUNICODE8 claiming 2^62 bytes', P4 + b'\x8d' + (2**62).to_bytes(8, 'little') + b'abc.', 'needs'),
        ('BINUNICODE claiming 4 GiB', P4 + b'X' + b'\xff\xff\xff\xff' + b'abc.', 'needs'),
        ('BINBYTES8 claiming 2^63 bytes', P4 + b'\x8e' + (2**63).to_bytes(8, 'little') + b'.', 'needs'),
        ('LONG4 of 2^31-1 bytes', P4 + b'\x8b' + (2**31 - 1).to_bytes(4, 'little') + b'.', 'needs'),
        ('LONG1 of 200 bytes', P4 + b'\x8a\xc8' + b'\x01' * 200 + b'.', 'larger than any setting'),
        ('FRAME then nothing', P4 + b'\x95' + (2**40).to_bytes(8, 'little'), 'truncated'),
        ('nesting 3000 lists deep', P4 + b']' * 3000 + b'a' * 2999 + b'.', 'deeper than'),
        ('nesting 3000 tuples deep', P4 + b')' + b'\x85' * 3000 + b'.', 'deeper than'),
        # [x, x] of [x, x] of … 60 times, through the memo: tiny in memory, 2^60 values when expanded.
        ('memo blow-up (2^60 when expanded)', P4 + b']\x940' + b''.join(b'(h' + bytes([k]) + b'h' + bytes([k]) + b'l\x940' for k in range(60)) + b'h<.', 'expands to more than'),
        ('BUILD after an allowed object', b'\x80\x03csip\n_unpickle_type\nX\x0c\x00\x00\x00PyQt5.QtCoreX\n\x00\x00\x00QByteArrayC\x00\x85\x87R}b.', 'BUILD'),
        ('NEWOBJ on a set', b'\x80\x02c__builtin__\nset\n)\x81.', 'NEWOBJ'),
        ('persistent id', b'\x80\x03X\x01\x00\x00\x00xQ.', 'persistent'),
        ('extension registry', b'\x80\x02\x82\x01.', 'extension registry'),
        ('protocol 5', b'\x80\x05N.', 'protocol 5'),
        ('unknown opcode', b'\x80\x04\xff.', 'unknown opcode'),
        ('GET of an undefined memo entry', P4 + b'h\x07.', 'memo entry 7'),
        ('STOP on an empty stack', P4 + b'.', 'stack is empty'),
        ('values left at STOP', P4 + b'NN.', 'left on the stack'),
        ('STACK_GLOBAL of subprocess.Popen', P4 + b'\x8c\nsubprocess\x8c\x05Popen\x93.', 'subprocess.Popen'),
        ('protocol-0 GLOBAL of nt.system', b'cnt\nsystem\n(S\'dir\'\ntR.', 'nt.system'),
        ('a global used as a value', b'\x80\x03cbuiltins\nset\n.', 'appears as a value'),
        ('no STOP', P4 + b'K\x01', 'before its STOP'),
        ('not a pickle at all', b'{"json": true}', 'unknown opcode'),
    ]
    return cases


def hostile_cases():
    out = []
    for name, data, message in cpython_hostile() + crafted_hostile():
        # The peer refuses too (CPython's restricted unpickler, or its own limits); record what it said.
        try:
            RestrictedUnpickler(io.BytesIO(data)).load()
            peer = 'loaded'
        except RecursionError:
            peer = 'RecursionError'
        except MemoryError:
            peer = 'MemoryError'
        except Exception as e:  # noqa: BLE001 - any refusal is a refusal
            peer = type(e).__name__
        out.append({'name': name, 'base64': base64.b64encode(data).decode(), 'message': message, 'cpython': peer})
    return out


# --- a variant-A .pyp whose settings are pickles, as G2 (protocol 3, PyQt5) and G1 (PyQt4) write them

def variant_a_file():
    nodes = [
        ('IIR Filter', 'signal_processing', 'IIRFilter', SETTINGS['iir'], 3, 'PyQt5.QtCore'),
        ('Segmentation', 'formatting', 'Segmentation', SETTINGS['segmentation'], 3, 'PyQt4.QtCore'),
        ('Assign Target Values', 'machine_learning', 'AssignTargets', SETTINGS['assign_targets'], 4, 'PyQt5.QtCore'),
    ]
    lines = ["<?xml version='1.0' encoding='utf-8'?>",
             '<scheme description="" title="pickled settings" version="2.0">', '\t<nodes>']
    for i, (title, cat, cls, _s, _p, _m) in enumerate(nodes):
        lines.append(f'\t\t<node id="{i}" name="{title}" position="({100 * i}, 50)" project_name="NeuroPype" '
                     f'qualified_name="widgets.{cat}.ow{cls.lower()}.OW{cls}" title="{title}" '
                     f'uuid="00000000-0000-4000-8000-00000000000{i}" version="1.0.0" />')
    lines += ['\t</nodes>', '\t<links>',
              '\t\t<link enabled="true" id="0" sink_channel="Data" sink_node_id="1" source_channel="Data" source_node_id="0" />',
              '\t\t<link enabled="true" id="1" sink_channel="Data" sink_node_id="2" source_channel="Data" source_node_id="1" />',
              '\t</links>', '\t<annotations />', '\t<thumbnail />', '\t<node_properties>']
    expected = []
    for i, (_t, _c, _cls, settings, protocol, qt) in enumerate(nodes):
        d = dict(settings)
        d['savedWidgetGeometry'] = QByteArrayStandIn(qt, GEOMETRY)
        text = base64.encodebytes(pickle.dumps(d, protocol)).decode()  # wrapped at 76 columns, as the designer writes
        lines.append(f'\t\t<properties format="pickle" node_id="{i}">{text}</properties>')
        loaded = RestrictedUnpickler(io.BytesIO(base64.b64decode(text))).load()
        loaded.pop('savedWidgetGeometry')
        expected.append({k: (None if v == '(use default)' else to_json(v)) for k, v in loaded.items()})
    lines += ['\t</node_properties>', '\t<patch />', '</scheme>']
    return '\n'.join(lines) + '\n', expected


def compact_lines(doc):
    """JSON with one case per line (small, and diffs stay readable)."""
    parts = []
    for k, v in doc.items():
        if isinstance(v, list):
            body = ',\n'.join('  ' + json.dumps(x, ensure_ascii=False) for x in v)
            parts.append(f' {json.dumps(k)}: [\n{body}\n ]')
        else:
            parts.append(f' {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}')
    return '{\n' + ',\n'.join(parts) + '\n}\n'


def main():
    pyp_text, pyp_expected = variant_a_file()
    with open(os.path.join(HERE, 'variant-a-pickles.pyp'), 'w') as f:
        f.write(pyp_text)
    doc = {'generator': 'tests/formats/pickles.py', 'python': sys.version.split()[0],
           'benign': benign_cases(), 'hostile': hostile_cases(), 'variantA': {'file': 'variant-a-pickles.pyp', 'params': pyp_expected}}
    with open(os.path.join(HERE, 'pickles.json'), 'w') as f:
        f.write(compact_lines(doc))
    print(f"{len(doc['benign'])} benign, {len(doc['hostile'])} hostile cases")


if __name__ == '__main__':
    main()

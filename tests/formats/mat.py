#!/usr/bin/python3
"""MAT level-5 fixtures and expected values for src/lib/formats/mat.spec.ts, from SciPy.

    apt-get install -y python3-scipy
    /usr/bin/python3 tests/formats/mat.py            # regenerate everything below
    /usr/bin/python3 tests/formats/mat.py --read F…  # print loadmat's view of files as JSON (live check)

Writes into tests/formats/mat/:
  scipy-v5.mat, scipy-v5-compressed.mat   savemat (format 5) of every type: numeric classes real and
                                          complex, char, logical, cell, struct, struct arrays, sparse
  scipy-v5-bigendian.mat                  the uncompressed file with every element byte-swapped to
                                          big-endian ("MI"); loadmat must read it to the same values
  crafted.mat                             element layouts MATLAB writes and SciPy does not: doubles
                                          stored as miUINT8/miINT16, char as miUINT16, an empty
                                          miMATRIX inside a cell, an object, a function handle
  expected.json                           loadmat's view of each of those files
  ours.json                               loadmat's view of the files the spec writes (ours*.mat),
                                          when they exist: the spec checks it against what it wrote
"""
import json
import math
import os
import struct
import sys
import warnings

import numpy as np
import scipy
import scipy.io as sio
import scipy.sparse as sp

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mat')

DTYPE_CLASS = {'float64': 'double', 'float32': 'single', 'int8': 'int8', 'uint8': 'uint8', 'int16': 'int16',
               'uint16': 'uint16', 'int32': 'int32', 'uint32': 'uint32', 'int64': 'int64', 'uint64': 'uint64'}


def num(x):
    """A number in JSON: non-finite floats and integers beyond 2^53 as strings."""
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return 'nan'
        if math.isinf(x):
            return 'inf' if x > 0 else '-inf'
        return x
    x = int(x)
    return x if abs(x) <= 2**53 - 1 else str(x)


def enc(v, typed):
    """loadmat's value in the spec's vocabulary; arrays flattened column-major (Fortran order).

    `v` is loadmat's value as stored (mat_dtype=False: keeps imaginary parts and the logical flag of
    sparse arrays), `typed` the same value with mat_dtype=True, whose dtype is the MATLAB class (a
    double MATLAB stored as miUINT8 is a double) — SciPy drops imaginary parts there, so only its
    dtype is used.
    """
    if sp.issparse(v):
        a = v.tocsc()
        a.sort_indices()
        # MATLAB sparse arrays are double or logical; SciPy returns a logical one as uint8 data.
        out = {'class': 'sparse', 'dims': list(a.shape), 'rowIndices': a.indices.tolist(), 'colStarts': a.indptr.tolist(),
               'logical': a.dtype.kind == 'b' or a.dtype == np.uint8, 'real': [num(x) for x in np.real(a.data).astype(float)]}
        if a.dtype.kind == 'c':
            out['imag'] = [num(x) for x in np.imag(a.data)]
        return out
    if isinstance(v, sio.matlab.MatlabFunction):
        return {'class': 'opaque'}
    if isinstance(v, sio.matlab.MatlabObject):
        out = enc_struct(v, typed)
        out['className'] = v.classname
        return out
    a = np.asarray(v)
    t = np.asarray(typed)
    if a.dtype.names:
        return enc_struct(a, t)
    dims = list(a.shape)
    flat = a.flatten(order='F')
    if a.dtype.kind == 'U':
        return {'class': 'char', 'dims': dims, 'text': ''.join(flat.tolist())}
    if t.dtype.kind == 'b':  # logical (stored as uint8 with the logical flag)
        return {'class': 'logical', 'dims': dims, 'data': [int(x) for x in flat]}
    if a.dtype.kind == 'O' and a.size and all(x is None for x in flat):
        # SciPy's value for a struct without fields: None per element (a cell never holds None).
        return {'class': 'struct', 'dims': dims, 'fields': [], 'elements': [{} for _ in flat]}
    if a.dtype.kind == 'O':
        return {'class': 'cell', 'dims': dims, 'cells': [enc(x, y) for x, y in zip(flat, t.flatten(order='F'))]}
    cls = DTYPE_CLASS[t.dtype.name]
    real = np.real(flat).astype(t.dtype)
    out = {'class': cls, 'dims': dims, 'real': [num(x) for x in real]}
    if a.dtype.kind == 'c':
        out['imag'] = [num(x) for x in np.imag(flat).astype(t.dtype)]
    return out


def enc_struct(a, t):
    a = np.asarray(a)
    t = np.asarray(t)
    fields = list(a.dtype.names)
    return {'class': 'struct', 'dims': list(a.shape), 'fields': fields,
            'elements': [{f: enc(el[f], tl[f]) for f in fields} for el, tl in zip(a.flatten(order='F'), t.flatten(order='F'))]}


def read(path):
    # uint16 chars are UTF-16 code units, as MATLAB writes them (SciPy's default codec would read them as UTF-8).
    opts = dict(squeeze_me=False, struct_as_record=True, chars_as_strings=False, uint16_codec='utf-16-le')
    raw = sio.loadmat(path, mat_dtype=False, **opts)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', np.ComplexWarning)  # mat_dtype casts complex to real: only its dtype is used
        typed = sio.loadmat(path, mat_dtype=True, **opts)
    return {k: enc(raw[k], typed[k]) for k in raw if not k.startswith('__')}


# --- what SciPy writes

def values():
    st_array = np.zeros((1, 3), dtype=[('name', 'O'), ('value', 'O')])
    for i, (n, v) in enumerate([('a', 1.0), ('bb', np.array([[1.0, 2.0]])), ('', np.zeros((0, 0)))]):
        st_array[0, i]['name'] = n
        st_array[0, i]['value'] = v
    cell = np.empty((1, 4), dtype=object)
    cell[0, 0] = 1.5
    cell[0, 1] = 'two'
    cell[0, 2] = np.array([[3, 4]], dtype=np.int16)
    cell[0, 3] = {'inner': 'struct in a cell'}
    cell2d = np.empty((2, 2), dtype=object)
    for i in range(2):
        for j in range(2):
            cell2d[i, j] = float(10 * i + j)
    return {
        'd_scalar': 3.5,
        'd_row': np.arange(5.0),
        'd_col': np.arange(3.0).reshape(3, 1),
        'd_mat': np.arange(12.0).reshape(3, 4),
        'd_3d': np.arange(24.0).reshape(2, 3, 4),
        'd_empty': np.zeros((0, 0)),
        'd_empty_0x5': np.zeros((0, 5)),
        'd_special': np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]),
        'c_double': np.array([[1 + 2j, 3 - 4j], [0.5j, -1]]),
        's_scalar': np.float32(2.5),
        's_row': np.array([1.5, -2.25, 1e-8], dtype=np.float32),
        'c_single': np.array([1 - 1j, 2j], dtype=np.complex64),
        'i8': np.array([-128, 0, 127], np.int8),
        'u8': np.array([0, 200, 255], np.uint8),
        'i16': np.array([-32768, 1, 32767], np.int16),
        'u16': np.array([0, 65535], np.uint16),
        'i32': np.array([-2**31, 2**31 - 1], np.int32),
        'u32': np.array([0, 2**32 - 1], np.uint32),
        'i64': np.array([-2**63, 0, 2**63 - 1], np.int64),
        'u64': np.array([0, 2**64 - 1], np.uint64),
        'txt': 'hello',
        'txt_matrix': np.array(['abc', 'def']),
        'txt_unicode': 'µV ünïcödé ✓',
        'txt_empty': '',
        'logical': np.array([[True, False, True]]),
        'logical_mat': np.array([[True, False], [False, True]]),
        'cell': cell,
        'cell2d': cell2d,
        'st': {'a': 1.0, 'b': 'text', 'nested': {'x': np.array([1.0, 2.0, 3.0]), 'deeper': {'y': 'z'}}},
        'st_array': st_array,
        'sp': sp.csc_matrix(np.array([[0, 1.5, 0], [2, 0, 0], [0, 0, 3.25], [0, 0, 0]])),
        'sp_complex': sp.csc_matrix(np.array([[0, 1j], [2 - 1j, 0]])),
        'sp_logical': sp.csc_matrix(np.array([[True, False], [False, True]])),
        'sp_empty': sp.csc_matrix((3, 2)),
        'a_long_variable_name_of_thirty_one_ch': 1.0,
    }


# --- a byte swapper: the same file in big-endian, element by element

MI_SIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}


def swap_elements(buf, start, end, out):
    pos = start
    while pos < end:
        first, n = struct.unpack_from('<II', buf, pos)
        if first >> 16:
            mtype, size = first & 0xffff, first >> 16
            data = buf[pos + 4:pos + 4 + size]
            out += struct.pack('>I', first) + swap_data(mtype, data) + b'\0' * (4 - size)
            pos += 8
            continue
        data_start = pos + 8
        if first == 14:  # miMATRIX: its sub-elements are swapped one by one
            inner = bytearray()
            swap_elements(buf, data_start, data_start + n, inner)
            out += struct.pack('>II', 14, len(inner)) + inner
        else:
            out += struct.pack('>II', first, n) + swap_data(first, buf[data_start:data_start + n])
        padded = n + (-n % 8)
        out += b'\0' * (padded - n)
        pos = data_start + padded


def swap_data(mtype, data):
    size = MI_SIZE[mtype]
    if size == 1:
        return bytes(data)
    return b''.join(bytes(data[i:i + size])[::-1] for i in range(0, len(data), size))


def big_endian(src, dst):
    buf = open(src, 'rb').read()
    header = bytearray(buf[:128])
    header[124:126] = b'\x01\x00'
    header[126:128] = b'MI'
    out = bytearray(header)
    swap_elements(buf, 128, len(buf), out)
    open(dst, 'wb').write(out)


# --- hand-assembled elements (little-endian), as MATLAB writes them

def el(mtype, data):
    data = bytes(data)
    return struct.pack('<II', mtype, len(data)) + data + b'\0' * (-len(data) % 8)


def matrix(cls, dims, name, *parts, flags=0):
    body = el(6, struct.pack('<II', cls | flags, 0)) + el(5, struct.pack(f'<{len(dims)}i', *dims)) + el(1, name.encode()) + b''.join(parts)
    return struct.pack('<II', 14, len(body)) + body


def struct_body(fields, values):
    length = max(len(f) for f in fields) + 1
    names = b''.join(f.encode().ljust(length, b'\0') for f in fields)
    return el(5, struct.pack('<i', length)) + el(1, names) + b''.join(values)


def crafted(path):
    header = b'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: crafted by tests/formats/mat.py'.ljust(116) + b'\0' * 8 + b'\x00\x01IM'
    parts = [
        matrix(6, [1, 3], 'd_as_uint8', el(2, bytes([1, 2, 255]))),
        matrix(6, [2, 1], 'd_as_int16', el(3, struct.pack('<2h', -300, 7))),
        matrix(4, [1, 4], 'ch_uint16', el(4, struct.pack('<4H', *[ord(c) for c in 'Hi Ω']))),
        matrix(1, [1, 2], 'cell_with_empty', struct.pack('<II', 14, 0), matrix(6, [1, 1], '', el(9, struct.pack('<d', 4.0)))),
        matrix(3, [1, 1], 'obj', el(1, b'myclass'), struct_body(['v'], [matrix(6, [1, 1], '', el(9, struct.pack('<d', 2.0)))])),
        matrix(16, [1, 1], 'fn', matrix(2, [1, 1], '', struct_body(['function'], [matrix(4, [1, 3], '', el(16, b'sin'))]))),
        matrix(6, [1, 1], 'after_fn', el(9, struct.pack('<d', 7.0))),
    ]
    open(path, 'wb').write(header + b''.join(parts))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--read':
        json.dump({p: read(p) for p in sys.argv[2:]}, sys.stdout)
        return
    os.makedirs(HERE, exist_ok=True)
    f = lambda name: os.path.join(HERE, name)  # noqa: E731
    v = values()
    sio.savemat(f('scipy-v5.mat'), v, format='5', long_field_names=True, do_compression=False, oned_as='row')
    sio.savemat(f('scipy-v5-compressed.mat'), v, format='5', long_field_names=True, do_compression=True, oned_as='row')
    big_endian(f('scipy-v5.mat'), f('scipy-v5-bigendian.mat'))
    crafted(f('crafted.mat'))
    expected = {name: read(f(name)) for name in ['scipy-v5.mat', 'scipy-v5-compressed.mat', 'scipy-v5-bigendian.mat', 'crafted.mat']}
    assert expected['scipy-v5-bigendian.mat'] == expected['scipy-v5.mat'], 'the big-endian copy must read as the original'
    assert expected['scipy-v5-compressed.mat'] == expected['scipy-v5.mat']
    with open(f('expected.json'), 'w') as out:
        json.dump({'generator': 'tests/formats/mat.py', 'scipy': scipy.__version__, 'files': expected}, out, indent=None)
        out.write('\n')
    ours = sorted(n for n in os.listdir(HERE) if n.startswith('ours') and n.endswith('.mat'))
    if ours:
        with open(f('ours.json'), 'w') as out:
            json.dump({'generator': 'tests/formats/mat.py', 'scipy': scipy.__version__, 'files': {n: read(f(n)) for n in ours}}, out, indent=None)
            out.write('\n')
    print(f'scipy {scipy.__version__}: wrote {len(expected)} fixtures; read {len(ours)} files written by the spec')


if __name__ == '__main__':
    main()

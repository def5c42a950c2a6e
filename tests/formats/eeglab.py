#!/usr/bin/python3
"""EEGLAB .set fixtures for src/lib/formats/eeglab.spec.ts, and MNE's reading of them.

    apt-get install -y python3-scipy python3-mne python3-h5py
    /usr/bin/python3 tests/formats/eeglab.py

Writes into tests/formats/eeglab/ (small files; commit them all):
  continuous-struct.set          MAT v5, one variable EEG (a struct), data inside (single)
  continuous-fields.set + .fdt   MAT v5, EEG's fields as top-level variables (as pop_saveset writes),
                                 EEG.data naming the .fdt (float32, channels of one sample together)
  epochs.set                     MAT v5, 6 epochs (one with two events), data nbchan × pnts × trials
  continuous-v73.set             MATLAB v7.3 (HDF5 with MATLAB_class attributes, 512-byte user block),
  epochs-v73.set                 top-level fields as EEGLAB saves with -v7.3: the same content as
                                 continuous-struct.set / epochs.set
  expected.json (+ *.f64)        mne.io.read_raw_eeglab / mne.read_epochs_eeglab on the MAT v5 files:
                                 channel names and types, rate, positions (m, MNE's head frame),
                                 annotations, epochs' events and event_id; data in volts as
                                 little-endian float64 (raw: channel-major; epochs: epoch, channel, time).
MNE 1.3 reads v7.3 files only through pymatreader, which Debian does not package, so the v7.3
twins are written from the same values and expected to read as their v5 twins.
"""
import json
import os

import h5py
import mne
import numpy as np
import scipy.io as sio

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'eeglab')
SRATE = 250.0
LABELS = ['Fp1', 'Cz', 'O2', 'VEOG', 'ECG']
TYPES = ['EEG', 'EEG', '', 'EOG', 'ECG']
# EEGLAB coordinates (mm; X towards the nose, Y to the left, Z up); ECG has none.
XYZ = [(80.8, 26.1, -4.0), (0.0, 0.0, 85.0), (-80.8, -26.1, -4.0), (75.0, 35.0, -30.0), None]


def chanlocs():
    a = np.zeros((1, len(LABELS)), dtype=[(f, 'O') for f in ['labels', 'type', 'X', 'Y', 'Z', 'theta', 'radius', 'urchan', 'ref']])
    for i, (lab, typ, xyz) in enumerate(zip(LABELS, TYPES, XYZ)):
        a[0, i]['labels'] = lab
        a[0, i]['type'] = typ
        for k, f in enumerate('XYZ'):
            a[0, i][f] = np.zeros((0, 0)) if xyz is None else float(xyz[k])
        a[0, i]['theta'] = np.zeros((0, 0))
        a[0, i]['radius'] = np.zeros((0, 0))
        a[0, i]['urchan'] = float(i + 1)
        a[0, i]['ref'] = ''
    return a


def events(rows, with_epoch=False):
    names = ['type', 'latency', 'duration', 'urevent'] + (['epoch'] if with_epoch else [])
    a = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in names])
    for i, row in enumerate(rows):
        for f, v in zip(names, row + (float(i + 1),) if not with_epoch else row[:3] + (float(i + 1), row[3])):
            a[0, i][f] = v
    return a


def signal(n_chan, n):
    t = np.arange(n) / SRATE
    return np.array([(10 + 5 * c) * np.sin(2 * np.pi * (6 + 2 * c) * t) + 3 * c for c in range(n_chan)], dtype=np.float32)


def base(nbchan, pnts, trials, xmin, data, ev, setname):
    return {
        'setname': setname, 'filename': '', 'filepath': '', 'subject': 'S01', 'group': '', 'condition': 'rest',
        'session': 2.0, 'comments': 'made by tests/formats/eeglab.py', 'nbchan': float(nbchan), 'trials': float(trials),
        'pnts': float(pnts), 'srate': SRATE, 'xmin': xmin, 'xmax': xmin + (pnts - 1) / SRATE,
        'times': (xmin + np.arange(pnts) / SRATE) * 1000, 'data': data, 'icaact': np.zeros((0, 0)),
        'icawinv': np.zeros((0, 0)), 'icasphere': np.zeros((0, 0)), 'icaweights': np.zeros((0, 0)),
        'icachansind': np.zeros((0, 0)), 'chanlocs': chanlocs(), 'urchanlocs': np.zeros((0, 0)),
        'chaninfo': {'plotrad': np.zeros((0, 0)), 'shrink': np.zeros((0, 0)), 'nosedir': '+X'},
        'ref': 'common', 'event': ev, 'urevent': np.zeros((0, 0)), 'eventdescription': np.zeros((1, 0), dtype=object),
        'epoch': np.zeros((0, 0)), 'epochdescription': np.zeros((1, 0), dtype=object), 'reject': {},
        'stats': {}, 'specdata': np.zeros((0, 0)), 'specicaact': np.zeros((0, 0)), 'splinefile': '',
        'icasplinefile': '', 'dipfit': np.zeros((0, 0)), 'history': '', 'saved': 'justloaded', 'etc': {},
    }


def continuous():
    pnts = 500
    data = signal(len(LABELS), pnts)
    # latency: 1-based samples, may be fractional; duration in samples; type a string or a number.
    ev = events([('stim', 101.0, 0.0), (2.0, 250.5, 25.0), ('resp', 400.0, 0.0)])
    return base(len(LABELS), pnts, 1, 0.0, data, ev, 'continuous')


def epoched():
    pnts, trials, xmin = 100, 6, -0.2
    lock = int(round(-xmin * SRATE))  # samples before the time-locking event
    data = np.stack([signal(len(LABELS), pnts) * (1 + 0.1 * k) for k in range(trials)], axis=2)  # nbchan × pnts × trials
    rows, epochs = [], []
    for k in range(trials):
        kind = 'left' if k % 2 == 0 else 'right'
        rows.append((kind, float(k * pnts + lock + 1), 0.0, float(k + 1)))
        if k == 3:  # a second event in this epoch: MNE names the epoch "right/resp"
            rows.append(('resp', float(k * pnts + lock + 31), 0.0, float(k + 1)))
    ev_idx = 0
    ep = np.zeros((1, trials), dtype=[(f, 'O') for f in ['event', 'eventtype', 'eventlatency']])
    for k in range(trials):
        mine = [i for i, r in enumerate(rows) if r[3] == k + 1]
        types = [rows[i][0] for i in mine]
        lat_ms = [(rows[i][1] - 1 - k * pnts - lock) / SRATE * 1000 for i in mine]
        if len(mine) == 1:
            ep[0, k]['event'], ep[0, k]['eventtype'], ep[0, k]['eventlatency'] = float(mine[0] + 1), types[0], lat_ms[0]
        else:
            cell_t = np.empty((1, len(mine)), dtype=object)
            cell_l = np.empty((1, len(mine)), dtype=object)
            for j in range(len(mine)):
                cell_t[0, j], cell_l[0, j] = types[j], lat_ms[j]
            ep[0, k]['event'], ep[0, k]['eventtype'], ep[0, k]['eventlatency'] = np.array([[i + 1.0 for i in mine]]), cell_t, cell_l
        ev_idx += len(mine)
    eeg = base(len(LABELS), pnts, trials, xmin, data, events(rows, with_epoch=True), 'epochs')
    eeg['epoch'] = ep
    return eeg


# --- MATLAB v7.3: HDF5 as MATLAB writes it (MATLAB_class attributes, dims reversed, references in #refs#)

class V73:
    def __init__(self, path):
        self.f = h5py.File(path, 'w', userblock_size=512, libver='latest')
        self.refs = self.f.create_group('#refs#')
        self.n = 0

    def ref(self, value):
        self.n += 1
        name = format(self.n, 'x')
        return self.write(self.refs, name, value).ref

    def write(self, group, name, v):
        if isinstance(v, dict):
            g = group.create_group(name)
            g.attrs['MATLAB_class'] = np.bytes_('struct')
            for k, x in v.items():
                self.write(g, k, x)
            return g
        if isinstance(v, str):
            return self.array(group, name, np.array([[ord(c) for c in v]], dtype=np.uint16).reshape(1, len(v)) if v else None, 'char', empty=(0, 0))
        if isinstance(v, float):
            return self.array(group, name, np.array([[v]]), 'double')
        a = np.asarray(v)
        if a.dtype.names:  # struct array: a field is a dataset of references, one per element
            g = group.create_group(name)
            g.attrs['MATLAB_class'] = np.bytes_('struct')
            for f in a.dtype.names:
                refs = np.array([[self.ref(el[f]) for el in a.flatten(order='F')]], dtype=h5py.ref_dtype).reshape(a.shape).T
                g.create_dataset(f, data=refs, dtype=h5py.ref_dtype)
            return g
        if a.dtype == object:
            if a.size == 0:
                return self.array(group, name, None, 'cell', empty=a.shape)
            refs = np.array([self.ref(x) for x in a.flatten(order='F')], dtype=h5py.ref_dtype).reshape(a.shape, order='F')
            d = group.create_dataset(name, data=refs.T, dtype=h5py.ref_dtype)
            d.attrs['MATLAB_class'] = np.bytes_('cell')
            return d
        cls = {'float64': 'double', 'float32': 'single'}[a.dtype.name]
        if a.ndim == 1:
            a = a.reshape(1, -1)
        return self.array(group, name, a if a.size else None, cls, empty=a.shape)

    def array(self, group, name, a, cls, empty=(0, 0)):
        if a is None:  # MATLAB stores an empty array as its dimensions, flagged MATLAB_empty
            d = group.create_dataset(name, data=np.array(empty, dtype=np.uint64))
            d.attrs['MATLAB_empty'] = np.uint8(1)
        else:
            d = group.create_dataset(name, data=a.T)  # HDF5 is row-major: MATLAB's dims reversed
        d.attrs['MATLAB_class'] = np.bytes_(cls)
        if cls == 'char':
            d.attrs['MATLAB_int_decode'] = np.int32(2)
        return d

    def close(self, path):
        self.f.close()
        header = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: tests/formats/eeglab.py HDF5 schema 1.00 .'.ljust(116)
        with open(path, 'r+b') as fh:
            fh.write(header + b'\0' * 8 + b'\x00\x02IM')


def write_v73(path, eeg):
    w = V73(path)
    for k, v in eeg.items():
        w.write(w.f, k, v)
    w.close(path)


# --- MNE's view

def positions(inst):
    m = inst.get_montage()
    pos = m.get_positions()['ch_pos'] if m is not None else {}
    return {k: (None if np.isnan(v).any() else [float(x) for x in v]) for k, v in pos.items()}


def main():
    os.makedirs(HERE, exist_ok=True)
    f = lambda name: os.path.join(HERE, name)  # noqa: E731
    cont = continuous()
    sio.savemat(f('continuous-struct.set'), {'EEG': cont}, format='5', do_compression=True, oned_as='row')
    fields = dict(cont, data='continuous-fields.fdt', datfile='continuous-fields.fdt', setname='continuous (fields)')
    sio.savemat(f('continuous-fields.set'), fields, format='5', do_compression=False, oned_as='row')
    cont['data'].flatten(order='F').astype('<f4').tofile(f('continuous-fields.fdt'))
    ep = epoched()
    sio.savemat(f('epochs.set'), ep, format='5', do_compression=True, oned_as='row')
    write_v73(f('continuous-v73.set'), cont)
    write_v73(f('epochs-v73.set'), ep)

    expected = {'generator': 'tests/formats/eeglab.py', 'mne': mne.__version__, 'raw': {}, 'epochs': {}}
    for name in ['continuous-struct.set', 'continuous-fields.set']:
        raw = mne.io.read_raw_eeglab(f(name), preload=True, verbose='error')
        data_file = name.replace('.set', '.raw.f64')
        raw.get_data().astype('<f8').tofile(f(data_file))
        a = raw.annotations
        expected['raw'][name] = {
            'sfreq': raw.info['sfreq'], 'ch_names': raw.ch_names, 'ch_types': raw.get_channel_types(),
            'n_times': int(raw.n_times), 'positions': positions(raw), 'data': data_file,
            'annotations': [{'onset': float(o), 'duration': float(d), 'description': str(s)} for o, d, s in zip(a.onset, a.duration, a.description)],
        }
    epochs = mne.read_epochs_eeglab(f('epochs.set'), verbose='error')
    epochs.get_data().astype('<f8').tofile(f('epochs.f64'))
    expected['epochs']['epochs.set'] = {
        'sfreq': epochs.info['sfreq'], 'ch_names': epochs.ch_names, 'ch_types': epochs.get_channel_types(),
        'tmin': float(epochs.tmin), 'n_times': len(epochs.times), 'events': epochs.events.tolist(),
        'event_id': {k: int(v) for k, v in epochs.event_id.items()}, 'positions': positions(epochs), 'data': 'epochs.f64',
    }
    with open(f('expected.json'), 'w') as out:
        json.dump(expected, out, indent=1)
        out.write('\n')
    print(f'mne {mne.__version__}: wrote', ', '.join(sorted(os.listdir(HERE))))


if __name__ == '__main__':
    main()

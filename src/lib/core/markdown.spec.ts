import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown';

describe('lesson Markdown subset', () => {
  it('parses headings, paragraphs, lists and inline spans', () => {
    const md = '# Alpha waves\n\nClose your **eyes** and *relax*.\nRun `Next`.\n\n- one\n- two [MNE](https://mne.tools/stable/)\n\n1. first\n2. second';
    expect(parseMarkdown(md)).toEqual([
      { kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Alpha waves' }] },
      { kind: 'paragraph', children: [{ kind: 'text', text: 'Close your ' }, { kind: 'strong', children: [{ kind: 'text', text: 'eyes' }] }, { kind: 'text', text: ' and ' }, { kind: 'em', children: [{ kind: 'text', text: 'relax' }] }, { kind: 'text', text: '. Run ' }, { kind: 'code', text: 'Next' }, { kind: 'text', text: '.' }] },
      { kind: 'list', ordered: false, items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: 'two ' }, { kind: 'link', href: 'https://mne.tools/stable/', children: [{ kind: 'text', text: 'MNE' }] }]] },
      { kind: 'list', ordered: true, items: [[{ kind: 'text', text: 'first' }], [{ kind: 'text', text: 'second' }]] },
    ]);
  });

  it('keeps markup and script links as plain text', () => {
    const blocks = parseMarkdown('<img src=x onerror=alert(1)> [click](javascript:alert(1)) [d](data:text/html,<b>) <script>x</script>');
    expect(blocks).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text: '<img src=x onerror=alert(1)> [click](javascript:alert(1)) [d](data:text/html,<b>) <script>x</script>' }] }]);
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('/relative')).toBeNull();
    expect(safeHref('mailto:teacher@example.org')).toBe('mailto:teacher@example.org');
  });

  it('leaves unmatched markers literal', () => {
    expect(parseInline('2 * 3 = 6, a ** b, `open')).toEqual([{ kind: 'text', text: '2 * 3 = 6, a ** b, `open' }]);
  });
});

// Channel-label comparison shared by the engine's channel selection and dsp's montage look-up.
// Pure string functions; runs anywhere; imports nothing.

/** EDF labels carry padding dots/spaces ("C3..", "Fc5.") and sometimes an "EEG " prefix; compare without them, case-insensitively. */
export function normLabel(s: string): string {
  return s.replace(/[.\s]+$/g, '').replace(/^EEG\s+/i, '').toUpperCase();
}

// The marker bus lives in core/markers.ts (the service worker publishes on it too); re-exported
// here for stream-side code.
export * from '../core/markers';

/// <reference lib="webworker" />
import { self } from '$app/service-worker';
self.addEventListener('install', () => self.skipWaiting());

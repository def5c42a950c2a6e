/*
 * lsl-peer: liblsl 1.16.2 driven from the command line, the peer our LSL tests and benchmark run
 * against (built by testing/liblsl.ts against the library from ../shared/vendor/liblsl). Test
 * support only, never part of the product. Run it inside a network namespace (see docs/lsl.md).
 * Every line it prints on stdout is one JSON object.
 *
 *   lsl-peer outlet NAME TYPE FORMAT CHANNELS RATE COUNT [SOURCE_ID] [CHUNK] [LINGER_S]
 *       Opens an outlet (desc/channels: label "c<k>", unit "microvolts", type TYPE), waits up to
 *       20 s for a consumer, pushes COUNT samples (0: until killed) paced at RATE (as fast as
 *       possible when RATE is 0, then one every 10 ms), with explicit timestamps (lsl_local_clock()
 *       at the push) or, with CHUNK > 1, in chunks of CHUNK with one timestamp (the others deduced).
 *       Values: peer_value() below. Prints {"ready":uid}, {"i":i,"t":t} per sample, {"done":n}.
 *   lsl-peer inlet QUERY COUNT [TIMEOUT_S]
 *       Resolves QUERY (lsl_resolve_bypred), opens an inlet, prints {"info":fullinfo_xml}, then
 *       COUNT samples {"t":t,"v":[...]} (int64 as strings), then {"offset":time_correction}.
 *   lsl-peer resolve QUERY TIMEOUT_S
 *       Prints {"found":[{name,type,uid,source_id,channel_count,format}...]}.
 *   lsl-peer bench-outlet NAME CHANNELS RATE SECONDS
 *       float32; channel 0 carries the sample index; one push_sample per sample period, timestamp
 *       = lsl_local_clock() at the push. Prints {"ready":uid} and {"done":n}.
 *   lsl-peer bench-inlet QUERY SECONDS
 *       Pulls for SECONDS (one blocking pull_sample, then the rest without waiting); latency of
 *       each sample = lsl_local_clock() once it is in our buffer − (its timestamp + time correction). Prints {"received","lost","p50_ms","p99_ms","max_ms"}.
 */
#include <lsl_c.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what) {
	fprintf(stderr, "lsl-peer: %s (%s)\n", what, lsl_last_error());
	exit(1);
}

static lsl_channel_format_t parse_format(const char *f) {
	if (!strcmp(f, "float32")) return cft_float32;
	if (!strcmp(f, "double64")) return cft_double64;
	if (!strcmp(f, "string")) return cft_string;
	if (!strcmp(f, "int32")) return cft_int32;
	if (!strcmp(f, "int16")) return cft_int16;
	if (!strcmp(f, "int8")) return cft_int8;
	if (!strcmp(f, "int64")) return cft_int64;
	fprintf(stderr, "lsl-peer: unknown format %s\n", f);
	exit(2);
}

/* The value of sample i, channel c, in each format; testing/peer-values.ts computes the same. */
static double peer_double(long i, int c) { return (double)i + (double)c / 8.0 + 0.1; }
static float peer_float(long i, int c) { return (float)(((i * 7 + c * 13) % 1000) * 0.25 - 100.5); }
static int8_t peer_int8(long i, int c) { return (int8_t)(((i + c * 3) % 256) - 128); }
static int16_t peer_int16(long i, int c) { return (int16_t)(((i * 31 + c * 1009) % 65536) - 32768); }
static int32_t peer_int32(long i, int c) { return (int32_t)((((int64_t)i * 2654435761LL + c * 40503LL) % 4294967296LL) - 2147483648LL); }
static int64_t peer_int64(long i, int c) { return (int64_t)i * 9000000000000LL - (int64_t)c * 4611686018427387LL + c; }
static void peer_string(long i, int c, char *out, size_t n) {
	if (c == 1) snprintf(out, n, "s%ld-c%d-\xc3\xa9\xe2\x86\x92", i, c); /* é→ */
	else if (c == 2 && i % 10 == 0) {
		int k = snprintf(out, n, "s%ld-c%d-", i, c);
		for (; k < 300 && k < (int)n - 1; k++) out[k] = 'x';
		out[k] = 0;
	} else snprintf(out, n, "s%ld-c%d", i, c);
}

static void json_string(const char *s) {
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') printf("\\%c", *p);
		else if (*p < 0x20) printf("\\u%04x", *p);
		else putchar(*p);
	}
	putchar('"');
}

static void sleep_until(double t) {
	double dt = t - lsl_local_clock();
	if (dt <= 0) return;
	struct timespec ts = {(time_t)dt, (long)((dt - floor(dt)) * 1e9)};
	nanosleep(&ts, NULL);
}

static lsl_outlet make_outlet(const char *name, const char *type, lsl_channel_format_t fmt, int nch, double rate, const char *source_id, int chunk) {
	lsl_streaminfo info = lsl_create_streaminfo(name, type, nch, rate, fmt, source_id);
	if (!info) die("lsl_create_streaminfo");
	lsl_xml_ptr desc = lsl_get_desc(info);
	lsl_append_child_value(desc, "manufacturer", "lsl-peer");
	lsl_xml_ptr chns = lsl_append_child(desc, "channels");
	for (int c = 0; c < nch; c++) {
		char label[32];
		snprintf(label, sizeof label, "c%d", c);
		lsl_xml_ptr ch = lsl_append_child(chns, "channel");
		lsl_append_child_value(ch, "label", label);
		lsl_append_child_value(ch, "unit", "microvolts");
		lsl_append_child_value(ch, "type", type);
	}
	lsl_outlet out = lsl_create_outlet(info, chunk > 1 ? chunk : 0, 360);
	if (!out) die("lsl_create_outlet");
	lsl_streaminfo mine = lsl_get_info(out);
	printf("{\"ready\":\"%s\"}\n", lsl_get_uid(mine));
	fflush(stdout);
	lsl_destroy_streaminfo(mine);
	lsl_destroy_streaminfo(info);
	return out;
}

static int run_outlet(int argc, char **argv) {
	if (argc < 8) return 2;
	const char *name = argv[2], *type = argv[3];
	lsl_channel_format_t fmt = parse_format(argv[4]);
	int nch = atoi(argv[5]);
	double rate = atof(argv[6]);
	long count = atol(argv[7]);
	const char *source_id = argc > 8 ? argv[8] : "";
	int chunk = argc > 9 ? atoi(argv[9]) : 1;
	double linger = argc > 10 ? atof(argv[10]) : 2.0;
	if (chunk < 1) chunk = 1;
	lsl_outlet out = make_outlet(name, type, fmt, nch, rate, source_id, chunk);
	if (!lsl_wait_for_consumers(out, 20.0)) die("no consumer within 20 s");
	size_t width = fmt == cft_string ? sizeof(char *) : (size_t)lsl_get_channel_bytes(lsl_get_info(out));
	char *buf = malloc((size_t)chunk * nch * (width ? width : 8));
	char **strs = malloc(sizeof(char *) * (size_t)chunk * nch);
	for (int k = 0; k < chunk * nch; k++) strs[k] = malloc(512);
	double period = rate > 0 ? 1.0 / rate : 0.01;
	double next = lsl_local_clock();
	long i = 0;
	while (count == 0 || i < count) {
		int n = chunk;
		if (count && i + n > count) n = (int)(count - i);
		for (int k = 0; k < n; k++)
			for (int c = 0; c < nch; c++) {
				long s = i + k;
				size_t at = (size_t)k * nch + c;
				switch (fmt) {
				case cft_float32: ((float *)buf)[at] = peer_float(s, c); break;
				case cft_double64: ((double *)buf)[at] = peer_double(s, c); break;
				case cft_int8: ((int8_t *)buf)[at] = peer_int8(s, c); break;
				case cft_int16: ((int16_t *)buf)[at] = peer_int16(s, c); break;
				case cft_int32: ((int32_t *)buf)[at] = peer_int32(s, c); break;
				case cft_int64: ((int64_t *)buf)[at] = peer_int64(s, c); break;
				case cft_string: peer_string(s, c, strs[at], 512); break;
				default: break;
				}
			}
		next += period * n;
		sleep_until(next);
		double t = lsl_local_clock();
		if (n == 1) {
			switch (fmt) {
			case cft_float32: lsl_push_sample_ftp(out, (float *)buf, t, 1); break;
			case cft_double64: lsl_push_sample_dtp(out, (double *)buf, t, 1); break;
			case cft_int8: lsl_push_sample_ctp(out, (char *)buf, t, 1); break;
			case cft_int16: lsl_push_sample_stp(out, (int16_t *)buf, t, 1); break;
			case cft_int32: lsl_push_sample_itp(out, (int32_t *)buf, t, 1); break;
			case cft_int64: lsl_push_sample_ltp(out, (int64_t *)buf, t, 1); break;
			case cft_string: lsl_push_sample_strtp(out, (const char **)strs, t, 1); break;
			default: break;
			}
		} else {
			unsigned long e = (unsigned long)n * nch;
			switch (fmt) {
			case cft_float32: lsl_push_chunk_ftp(out, (float *)buf, e, t, 1); break;
			case cft_double64: lsl_push_chunk_dtp(out, (double *)buf, e, t, 1); break;
			case cft_int8: lsl_push_chunk_ctp(out, (char *)buf, e, t, 1); break;
			case cft_int16: lsl_push_chunk_stp(out, (int16_t *)buf, e, t, 1); break;
			case cft_int32: lsl_push_chunk_itp(out, (int32_t *)buf, e, t, 1); break;
			case cft_int64: lsl_push_chunk_ltp(out, (int64_t *)buf, e, t, 1); break;
			case cft_string: lsl_push_chunk_strtp(out, (const char **)strs, e, t, 1); break;
			default: break;
			}
		}
		/* push_chunk stamps the last sample t; the first is t − (n−1)/rate (liblsl). */
		for (int k = 0; k < n; k++) printf("{\"i\":%ld,\"t\":%.17g}\n", i + k, n == 1 || rate <= 0 ? t : t - (double)(n - 1 - k) / rate);
		fflush(stdout);
		i += n;
	}
	printf("{\"done\":%ld}\n", i);
	fflush(stdout);
	sleep_until(lsl_local_clock() + linger);
	lsl_destroy_outlet(out);
	return 0;
}

static int run_inlet(int argc, char **argv) {
	if (argc < 4) return 2;
	const char *query = argv[2];
	long count = atol(argv[3]);
	double timeout = argc > 4 ? atof(argv[4]) : 20.0;
	lsl_streaminfo found[4];
	int n = lsl_resolve_bypred(found, 4, query, 1, timeout);
	if (n < 1) die("no stream resolved");
	lsl_inlet in = lsl_create_inlet(found[0], 360, 0, 1);
	int32_t ec = 0;
	lsl_streaminfo full = lsl_get_fullinfo(in, timeout, &ec);
	if (ec) die("lsl_get_fullinfo");
	printf("{\"info\":");
	json_string(lsl_get_xml(full));
	printf("}\n");
	fflush(stdout);
	lsl_channel_format_t fmt = lsl_get_channel_format(full);
	int nch = lsl_get_channel_count(full);
	double *d = malloc(sizeof(double) * nch);
	float *f = malloc(sizeof(float) * nch);
	int64_t *l = malloc(sizeof(int64_t) * nch);
	int32_t *i32 = malloc(sizeof(int32_t) * nch);
	int16_t *i16 = malloc(sizeof(int16_t) * nch);
	char *i8 = malloc(nch);
	char **s = malloc(sizeof(char *) * nch);
	for (long k = 0; k < count; k++) {
		double t = 0;
		switch (fmt) {
		case cft_float32: t = lsl_pull_sample_f(in, f, nch, timeout, &ec); break;
		case cft_double64: t = lsl_pull_sample_d(in, d, nch, timeout, &ec); break;
		case cft_int64: t = lsl_pull_sample_l(in, l, nch, timeout, &ec); break;
		case cft_int32: t = lsl_pull_sample_i(in, i32, nch, timeout, &ec); break;
		case cft_int16: t = lsl_pull_sample_s(in, i16, nch, timeout, &ec); break;
		case cft_int8: t = lsl_pull_sample_c(in, i8, nch, timeout, &ec); break;
		case cft_string: t = lsl_pull_sample_str(in, s, nch, timeout, &ec); break;
		default: die("format");
		}
		if (ec || t == 0) die("pull_sample timed out");
		printf("{\"t\":%.17g,\"v\":[", t);
		for (int c = 0; c < nch; c++) {
			if (c) putchar(',');
			switch (fmt) {
			case cft_float32: printf("%.9g", f[c]); break;
			case cft_double64: printf("%.17g", d[c]); break;
			case cft_int64: printf("\"%lld\"", (long long)l[c]); break;
			case cft_int32: printf("%d", i32[c]); break;
			case cft_int16: printf("%d", i16[c]); break;
			case cft_int8: printf("%d", (int)(signed char)i8[c]); break;
			case cft_string: json_string(s[c]); lsl_destroy_string(s[c]); break;
			default: break;
			}
		}
		printf("]}\n");
		fflush(stdout);
	}
	double offset = lsl_time_correction(in, timeout, &ec);
	if (ec) die("lsl_time_correction");
	printf("{\"offset\":%.17g}\n", offset);
	fflush(stdout);
	lsl_destroy_inlet(in);
	return 0;
}

static int run_resolve(int argc, char **argv) {
	if (argc < 4) return 2;
	lsl_streaminfo found[64];
	int n = lsl_resolve_bypred(found, 64, argv[2], 64, atof(argv[3]));
	printf("{\"found\":[");
	for (int k = 0; k < n; k++) {
		const char *fmts[] = {"undefined", "float32", "double64", "string", "int32", "int16", "int8", "int64"};
		if (k) putchar(',');
		printf("{\"name\":");
		json_string(lsl_get_name(found[k]));
		printf(",\"type\":");
		json_string(lsl_get_type(found[k]));
		printf(",\"uid\":");
		json_string(lsl_get_uid(found[k]));
		printf(",\"source_id\":");
		json_string(lsl_get_source_id(found[k]));
		printf(",\"channel_count\":%d,\"format\":\"%s\",\"rate\":%.17g}", lsl_get_channel_count(found[k]), fmts[lsl_get_channel_format(found[k])], lsl_get_nominal_srate(found[k]));
	}
	printf("]}\n");
	return 0;
}

static int run_bench_outlet(int argc, char **argv) {
	if (argc < 6) return 2;
	int nch = atoi(argv[3]);
	double rate = atof(argv[4]), seconds = atof(argv[5]);
	lsl_outlet out = make_outlet(argv[2], "EEG", cft_float32, nch, rate, "bench", 1);
	if (!lsl_wait_for_consumers(out, 30.0)) die("no consumer within 30 s");
	float *x = calloc((size_t)nch, sizeof(float));
	long total = (long)(seconds * rate);
	double next = lsl_local_clock();
	for (long i = 0; i < total; i++) {
		x[0] = (float)i;
		for (int c = 1; c < nch; c++) x[c] = (float)sin(0.01 * (double)i + c);
		next += 1.0 / rate;
		sleep_until(next);
		lsl_push_sample_ftp(out, x, lsl_local_clock(), 1);
	}
	printf("{\"done\":%ld}\n", total);
	fflush(stdout);
	sleep_until(lsl_local_clock() + 3.0);
	lsl_destroy_outlet(out);
	return 0;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int run_bench_inlet(int argc, char **argv) {
	if (argc < 4) return 2;
	double seconds = atof(argv[3]);
	lsl_streaminfo found[1];
	if (lsl_resolve_bypred(found, 1, argv[2], 1, 30.0) < 1) die("no stream resolved");
	lsl_inlet in = lsl_create_inlet(found[0], 360, 0, 1);
	int32_t ec = 0;
	int nch = lsl_get_channel_count(found[0]);
	double offset = lsl_time_correction(in, 10.0, &ec);
	lsl_open_stream(in, 30.0, &ec);
	size_t cap = (size_t)(seconds * 2000) + 100000, n = 0;
	double *lat = malloc(sizeof(double) * cap);
	float *buf = malloc(sizeof(float) * 1024 * nch);
	double *ts = malloc(sizeof(double) * 1024);
	long expected = -1, lost = 0;
	double end = lsl_local_clock() + seconds;
	while (lsl_local_clock() < end) {
		/* Block for one sample, then take what else is there without waiting (a timeout on
		   pull_chunk would wait to fill the buffer and add latency). */
		double t0 = lsl_pull_sample_f(in, buf, nch, 0.5, &ec);
		if (t0 == 0.0) continue;
		ts[0] = t0;
		unsigned long got = nch + lsl_pull_chunk_f(in, buf + nch, ts + 1, 1023 * nch, 1023, 0.0, &ec);
		double now = lsl_local_clock();
		for (unsigned long k = 0; k < got / nch; k++) {
			long idx = (long)buf[k * nch];
			if (expected >= 0 && idx != expected) lost += idx - expected;
			expected = idx + 1;
			if (n < cap) lat[n++] = (now - (ts[k] + offset)) * 1000.0;
		}
	}
	qsort(lat, n, sizeof(double), cmp_double);
	printf("{\"received\":%zu,\"lost\":%ld,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"offset\":%.9g}\n", n, lost, n ? lat[n / 2] : 0, n ? lat[(size_t)(n * 0.99)] : 0, n ? lat[n - 1] : 0, offset);
	lsl_destroy_inlet(in);
	return 0;
}

int main(int argc, char **argv) {
	int rc = 2;
	if (argc > 1 && !strcmp(argv[1], "outlet")) rc = run_outlet(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "inlet")) rc = run_inlet(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "resolve")) rc = run_resolve(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "bench-outlet")) rc = run_bench_outlet(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "bench-inlet")) rc = run_bench_inlet(argc, argv);
	if (rc == 2) fprintf(stderr, "usage: see the header of lsl-peer.c\n");
	return rc;
}

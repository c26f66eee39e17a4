/* builtin_lock.h - the lock file of the fuzz targets when their input
 * brings none: real releases (3.13, 3.12, 2.7) with python.org's sha256. */
#ifndef MATRIXC_BUILTIN_LOCK_H
#define MATRIXC_BUILTIN_LOCK_H

static const char builtin_lock[] =
    "{\"matrixc\": 1, \"releases\": {"
    "\"3.13\": {\"sha256\": \"639e43243c620a308f968213df9e00f2f8f62332f7adbaa7a7eeb9783057c690\","
    " \"url\": \"https://www.python.org/ftp/python/3.13.14/Python-3.13.14.tar.xz\","
    " \"version\": \"3.13.14\"},"
    "\"3.12\": {\"sha256\": \"c08bc65a81971c1dd5783182826503369466c7e67374d1646519adf05207b684\","
    " \"url\": \"https://www.python.org/ftp/python/3.12.13/Python-3.12.13.tar.xz\","
    " \"version\": \"3.12.13\"},"
    "\"2.7\": {\"sha256\": \"b62c0e7937551d0cc02b8fd5cb0f544f9405bafc9a54d3808ed4594812edef43\","
    " \"url\": \"https://www.python.org/ftp/python/2.7.18/Python-2.7.18.tar.xz\","
    " \"version\": \"2.7.18\"}}}";

#endif

# Test plugins: one source built into several modules (see test-plugin.c).
# -rpath makes libtool build shared modules although they are never installed.
NT_TEST_PLUGIN_LDFLAGS = -module -avoid-version -no-undefined -rpath /nowhere

check_LTLIBRARIES += tests/plugins/good/nt-test-good.la
tests_plugins_good_nt_test_good_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_good_nt_test_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=GOOD -DTEST_PLUGIN_TAG='"good"'
tests_plugins_good_nt_test_good_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_good_nt_test_good_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/abi-major/nt-test-abi-major.la
tests_plugins_abi_major_nt_test_abi_major_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_abi_major_nt_test_abi_major_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=ABI_MAJOR -DTEST_PLUGIN_TAG='"x"'
tests_plugins_abi_major_nt_test_abi_major_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_major_nt_test_abi_major_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/abi-minor/nt-test-abi-minor.la
tests_plugins_abi_minor_nt_test_abi_minor_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_abi_minor_nt_test_abi_minor_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=ABI_MINOR -DTEST_PLUGIN_TAG='"x"'
tests_plugins_abi_minor_nt_test_abi_minor_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_minor_nt_test_abi_minor_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/dup/nt-test-dup.la
tests_plugins_dup_nt_test_dup_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_dup_nt_test_dup_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=DUPLICATE -DTEST_PLUGIN_TAG='"x"'
tests_plugins_dup_nt_test_dup_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_dup_nt_test_dup_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/initfail/nt-test-initfail.la
tests_plugins_initfail_nt_test_initfail_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_initfail_nt_test_initfail_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=INIT_FAILS -DTEST_PLUGIN_TAG='"x"'
tests_plugins_initfail_nt_test_initfail_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_initfail_nt_test_initfail_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/order-a/nt-test-order.la
tests_plugins_order_a_nt_test_order_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_order_a_nt_test_order_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=ORDER -DTEST_PLUGIN_TAG='"A"'
tests_plugins_order_a_nt_test_order_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_order_a_nt_test_order_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/order-b/nt-test-order.la
tests_plugins_order_b_nt_test_order_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_order_b_nt_test_order_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=ORDER -DTEST_PLUGIN_TAG='"B"'
tests_plugins_order_b_nt_test_order_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_order_b_nt_test_order_la_LIBADD = $(NT_PLUGIN_LIBADD)

check_LTLIBRARIES += tests/plugins/noentry/nt-test-noentry.la
tests_plugins_noentry_nt_test_noentry_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_noentry_nt_test_noentry_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_VARIANT=NO_ENTRY -DTEST_PLUGIN_TAG='"x"'
tests_plugins_noentry_nt_test_noentry_la_LDFLAGS = $(NT_TEST_PLUGIN_LDFLAGS)
tests_plugins_noentry_nt_test_noentry_la_LIBADD = $(NT_PLUGIN_LIBADD)

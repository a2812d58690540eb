# Registers every pg_regress test (tests/regress/sql/*.sql) and isolation spec
# (tests/isolation/specs/*.spec) as a CTest test of its own. They run against the cluster that
# `make test` starts (PGHOST/PGPORT), each in a database of its own.
file(GLOB cartwatch_regress_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/regress/sql/*.sql)
foreach(test_file IN LISTS cartwatch_regress_tests)
    get_filename_component(test_name ${test_file} NAME_WE)
    add_test(NAME regress.${test_name}
             COMMAND ${CMAKE_SOURCE_DIR}/scripts/run-sql-test.sh regress ${test_name}
                     ${CMAKE_BINARY_DIR}/regress)
    set_tests_properties(regress.${test_name} PROPERTIES LABELS "postgres;regress")
endforeach()

file(GLOB cartwatch_isolation_specs CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/isolation/specs/*.spec)
foreach(spec_file IN LISTS cartwatch_isolation_specs)
    get_filename_component(spec_name ${spec_file} NAME_WE)
    add_test(NAME isolation.${spec_name}
             COMMAND ${CMAKE_SOURCE_DIR}/scripts/run-sql-test.sh isolation ${spec_name}
                     ${CMAKE_BINARY_DIR}/isolation)
    set_tests_properties(isolation.${spec_name} PROPERTIES LABELS "postgres;isolation")
endforeach()

# Integration tests: executable scripts in tests/integration/, run with the cluster's PG*
# variables (and CARTWATCH_TEST_DSN) in their environment. A script may start more servers of
# its own (a cluster with shared_preload_libraries, an SMTP server) under a temp folder.
file(GLOB cartwatch_integration_scripts CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/integration/*.sh ${CMAKE_SOURCE_DIR}/tests/integration/*.py)
foreach(script IN LISTS cartwatch_integration_scripts)
    get_filename_component(script_name ${script} NAME_WE)
    add_test(NAME integration.${script_name} COMMAND ${script})
    set_tests_properties(integration.${script_name} PROPERTIES
        LABELS "postgres;integration" TIMEOUT 600
        ENVIRONMENT "CARTWATCH_SOURCE_DIR=${CMAKE_SOURCE_DIR};CARTWATCH_BUILD_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# cartwatchd, the reminder daemon: a core library with everything but main() (the unit tests
# link it), the executable, and its GoogleTest suite. Included from the top-level
# CMakeLists.txt; every dependency is a Debian package, nothing is downloaded.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
pkg_check_modules(CARTWATCHD_PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(CARTWATCHD_CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(CARTWATCHD_SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(CARTWATCHD_TOML REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(CARTWATCHD_IDN2 REQUIRED IMPORTED_TARGET libidn2)

set(cartwatchd_dir ${CMAKE_CURRENT_LIST_DIR})

function(cartwatchd_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                           $<$<BOOL:${CARTWATCH_WERROR}>:-Werror>)
endfunction()
# One version for the extension and the daemon: the control file's.
file(STRINGS ${CMAKE_SOURCE_DIR}/cartwatch.control cartwatchd_version_line
     REGEX "^default_version")
string(REGEX REPLACE ".*'(.*)'.*" "\\1" cartwatchd_version "${cartwatchd_version_line}")

# Everything but main(): configuration, SMTP, rate limiting, sender threads, the outbox client,
# rendering through the mail library, metrics, the HTTP endpoints and the application loop.
find_package(OpenSSL REQUIRED)
add_library(cartwatchd_core STATIC
    ${cartwatchd_dir}/src/application.cpp
    ${cartwatchd_dir}/src/application_service.cpp
    ${cartwatchd_dir}/src/config.cpp
    ${cartwatchd_dir}/src/duration.cpp
    ${cartwatchd_dir}/src/http_endpoint.cpp
    ${cartwatchd_dir}/src/idna_address.cpp
    ${cartwatchd_dir}/src/log_throttle.cpp
    ${cartwatchd_dir}/src/logging.cpp
    ${cartwatchd_dir}/src/metrics.cpp
    ${cartwatchd_dir}/src/outbox.cpp
    ${cartwatchd_dir}/src/rate_limiter.cpp
    ${cartwatchd_dir}/src/reminder_job.cpp
    ${cartwatchd_dir}/src/reminder_rendering.cpp
    ${cartwatchd_dir}/src/retention_runner.cpp
    ${cartwatchd_dir}/src/sender_pool.cpp
    ${cartwatchd_dir}/src/smtp_reply.cpp
    ${cartwatchd_dir}/src/smtp_sender.cpp
    ${cartwatchd_dir}/src/unsubscribe_page.cpp)
target_include_directories(cartwatchd_core PUBLIC ${cartwatchd_dir}/src)
target_compile_definitions(cartwatchd_core PUBLIC
    CARTWATCH_VERSION="${cartwatchd_version}" BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(cartwatchd_core PUBLIC
    Boost::headers Threads::Threads spdlog::spdlog nlohmann_json::nlohmann_json
    PkgConfig::CARTWATCHD_PQXX PkgConfig::CARTWATCHD_CURL PkgConfig::CARTWATCHD_SYSTEMD
    PkgConfig::CARTWATCHD_TOML PkgConfig::CARTWATCHD_IDN2 cartwatch_mail OpenSSL::Crypto)
cartwatchd_warnings(cartwatchd_core)

if(CARTWATCH_BUILD_TESTS)
find_package(GTest REQUIRED)
include(GoogleTest)
add_executable(cartwatchd_unit_tests
    ${CMAKE_SOURCE_DIR}/tests/unit/config_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/duration_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/scripted_smtp_server.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/http_endpoint_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/idna_address_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/log_throttle_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/metrics_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/outbox_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/rate_limiter_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/reminder_job_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/reminder_rendering_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/sender_pool_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/smtp_reply_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/smtp_sender_test.cpp
    ${CMAKE_SOURCE_DIR}/tests/unit/unsubscribe_page_test.cpp)
target_link_libraries(cartwatchd_unit_tests PRIVATE cartwatchd_core GTest::gtest_main)
target_compile_definitions(cartwatchd_unit_tests PRIVATE
    CARTWATCH_TEMPLATES_DIR="${CMAKE_SOURCE_DIR}/mail_templates")
cartwatchd_warnings(cartwatchd_unit_tests)
gtest_discover_tests(cartwatchd_unit_tests DISCOVERY_TIMEOUT 30)
endif()

add_executable(cartwatchd ${cartwatchd_dir}/src/main.cpp)
target_link_libraries(cartwatchd PRIVATE cartwatchd_core CLI11::CLI11)
cartwatchd_warnings(cartwatchd)
install(TARGETS cartwatchd RUNTIME DESTINATION sbin)


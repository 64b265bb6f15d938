// The one Catch2 main for the lab tests (iotmap_lab_tests); test files only include catch.hpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

# cartwatch: the PGXS build of the PostgreSQL extension, and the umbrella targets
# (`make test`, `make demo`, `make format`) that drive the whole repository.

EXTENSION   = cartwatch
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = cartwatch
# The IDNA conversion is cartwatchd's own (daemon/src), so that email_key() gives an address the
# ASCII form the daemon sends it in.
OBJS        = $(patsubst %.cpp,%.o,$(sort $(wildcard extension/*.cpp))) \
              daemon/src/idna_address.o daemon/src/utf8.o

# The install script is assembled from the numbered parts in sql/install/, one concern each,
# so that each feature keeps its SQL beside the others without one 3,000-line file.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built    = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA          = $(wildcard sql/updates/$(EXTENSION)--*--*.sql)

# pg_regress and the isolation tester: every file found is a test. CTest runs them one by one
# (tests/sql_tests.cmake); `make installcheck` runs them all against $PGHOST/$PGPORT.
REGRESS        = $(sort $(notdir $(basename $(wildcard tests/regress/sql/*.sql))))
REGRESS_OPTS   = --inputdir=tests/regress --outputdir=build/regress
ISOLATION      = $(sort $(notdir $(basename $(wildcard tests/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=tests/isolation --outputdir=build/isolation
EXTRA_CLEAN    = build/regress build/isolation

PG_CONFIG  ?= pg_config
PG_CPPFLAGS = -Iextension -Idaemon/src
PG_CXXFLAGS = -std=c++17 -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -Wno-cast-function-type -Wno-register -fvisibility-inlines-hidden
ifneq ($(CARTWATCH_WERROR),0)
PG_CXXFLAGS += -Werror
endif
SHLIB_LINK += -lstdc++ -lidn2

# On a fresh machine pg_config arrives with `make demo`, `make test` or `make deps` (they install
# the packages first and run make again), so only other goals need it now.
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else ifneq ($(filter-out demo test deps,$(or $(MAKECMDGOALS),all)),)
$(error $(PG_CONFIG) not found: install postgresql-server-dev-15 (make deps), or set PG_CONFIG)
endif

# PGXS compiles the LLVM bitcode for JIT inlining without PG_CXXFLAGS; C++17 code needs them.
COMPILE.cxx.bc += $(PG_CXXFLAGS)
ifeq ($(wildcard $(CLANG)),)
with_llvm = no
endif

# A header change rebuilds every object: a class whose layout changed must never meet an object
# compiled against the old one. (An explicit rule: a recipe-less pattern rule would be ignored.)
$(OBJS): $(wildcard extension/*.hpp) $(wildcard daemon/src/*.hpp)

$(DATA_built): $(INSTALL_PARTS) $(EXTENSION).control
	cat $(INSTALL_PARTS) > $@

installcheck: | build/regress build/isolation
build/regress build/isolation:
	mkdir -p $@

.PHONY: test demo deps format daemon
# Everything a clean Debian machine needs, then every test; see scripts/test.sh.
test:
	@scripts/test.sh
# The whole flow on embedded defaults, from carts to reminders in the inbox; see scripts/demo.sh.
demo:
	@scripts/demo.sh
deps:
	@scripts/install-deps.sh test
daemon:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j2
format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# bench/soak.mk: `make soak`: fnd under steady HTTP load for a few minutes,
# sampling its resident memory and open file descriptors every round; fails
# unless both stay flat. Never part of `make test`. Knobs:
#   SOAK_SECONDS (180), SOAK_ROUND (15), SOAK_CONNS (16)
SOAK_SECONDS ?= 180
SOAK_ROUND ?= 15
SOAK_CONNS ?= 16

.PHONY: soak
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_ROUND=$(SOAK_ROUND) \
		SOAK_CONNS=$(SOAK_CONNS) bench/soak.sh

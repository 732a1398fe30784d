#!/bin/sh
# waits for a host:port

package io.s2edit.common;

package io.s2edit.engine;

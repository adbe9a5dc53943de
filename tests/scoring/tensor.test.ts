import { describe, expect, test } from '@jest/globals';
import {
  flatJson,
  fromFloat16Bits,
  nestedJson,
  tensorFromFlat,
  tensorFromNested,
  toFloat16Bits,
} from '../../shared/scoring/tensor.js';

describe('tensor conversions between JSON and typed arrays', () => {
  test('shape comes from the nesting; a bare value is a scalar', () => {
    const matrix = tensorFromNested('float32', [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(matrix.dims).toEqual([2, 3]);
    expect(Array.from(matrix.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensorFromNested('int64', 7).dims).toEqual([]);
    expect(tensorFromNested('float32', [[], []]).dims).toEqual([2, 0]);
    expect(nestedJson(tensorFromNested('float32', [[], []]))).toBe('[[],[]]');
  });

  test('nested JSON output round-trips values and shape, scalars stay bare', () => {
    const tensor = tensorFromNested('int32', [
      [[1], [2]],
      [[3], [4]],
    ]);
    expect(nestedJson(tensor)).toBe('[[[1],[2]],[[3],[4]]]');
    expect(nestedJson(tensorFromNested('float64', 2.5))).toBe('2.5');
    expect(flatJson(tensor)).toBe('[1,2,3,4]');
  });

  test('64-bit integers beyond 2^53 travel exactly as digit strings in and digits out', () => {
    const tensor = tensorFromNested('int64', ['9007199254740993', -5]);
    expect(nestedJson(tensor)).toBe('[9007199254740993,-5]');
    expect(() => tensorFromNested('uint64', [-1])).toThrow(/element at \[0\] is -1; expected an integer \(uint64/);
    expect(() => tensorFromNested('int64', ['9223372036854775808'])).toThrow(/expected an integer \(int64/);
  });

  test('integer ranges, booleans and strings are checked per element', () => {
    expect(() => tensorFromNested('uint8', [1, 256])).toThrow(
      /element at \[1\] is 256; expected an integer from 0 to 255/,
    );
    expect(nestedJson(tensorFromNested('bool', [true, false, 1]))).toBe('[true,false,true]');
    expect(() => tensorFromNested('bool', ['yes'])).toThrow(/"yes"; expected true or false/);
    expect(nestedJson(tensorFromNested('string', [['a"b', 'c']]))).toBe('[["a\\"b","c"]]');
  });

  test('non-finite floats become null, as JSON cannot carry them', () => {
    const tensor = { type: 'float32' as const, dims: [3], data: Float32Array.from([1, NaN, -Infinity]) };
    expect(nestedJson(tensor)).toBe('[1,null,null]');
  });

  test('float16 is converted with round-to-nearest-even', () => {
    for (const value of [0, 1, -2.5, 65504, 0.0001, 6.1e-5]) {
      expect(fromFloat16Bits(toFloat16Bits(value))).toBeCloseTo(value, 4);
    }
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(100000)).toBe(0x7c00);
    expect(nestedJson(tensorFromNested('float16', [0.5, 2]))).toBe('[0.5,2]');
  });

  test('flat KServe data: nested data is flattened, and the count must fill the shape', () => {
    expect(
      Array.from(
        tensorFromFlat(
          'int32',
          [2, 2],
          [
            [1, 2],
            [3, 4],
          ],
        ).data as Int32Array,
      ),
    ).toEqual([1, 2, 3, 4]);
    expect(() => tensorFromFlat('int32', [2, 2], [1, 2, 3])).toThrow(
      /'data' has 3 elements but shape \[2, 2\] needs 4/,
    );
    expect(() => tensorFromFlat('int32', [1], [1, 2])).toThrow(/'data' has 2 elements but shape \[1\] needs 1/);
    expect(() => tensorFromFlat('int32', [1], 'x')).toThrow(/'data' must be an array/);
  });
});

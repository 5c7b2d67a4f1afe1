(module
 (type $0 (func (param f64) (result f64)))
 (type $1 (func))
 (type $2 (func (param f64 f64) (result f64)))
 (type $3 (func (param i32 i32)))
 (type $4 (func (param i32 i32 i32)))
 (type $5 (func (param i32) (result i32)))
 (import "host" "log" (func $log (param f64) (result f64)))
 (import "host" "sin" (func $sin (param f64) (result f64)))
 (import "host" "cos" (func $cos (param f64) (result f64)))
 (import "host" "pow" (func $pow (param f64 f64) (result f64)))
 (import "host" "gather_range" (func $gather_range (param i32 i32)))
 (import "host" "load_range" (func $load_range (param i32 i32 i32)))
 (memory $0 1 1)
 (export "memory" (memory $0))
 (export "run" (func $run))
 (func $mix32 (param $0 i32) (result i32)
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 16)
    )
   )
  )
  (local.set $0
   (i32.mul
    (local.get $0)
    (i32.const 2146121005)
   )
  )
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 15)
    )
   )
  )
  (local.set $0
   (i32.mul
    (local.get $0)
    (i32.const -2073254261)
   )
  )
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 16)
    )
   )
  )
  (local.get $0)
 )
 (func $k0
  (local $0 i32)
  (local $1 i32)
  (local $2 i32)
  (local $3 v128)
  (local $4 v128)
  (local $5 v128)
  (local $6 f64)
  (local $7 f32)
  (local.set $2
   (i32.const 0)
  )
  (block
   (local.set $0
    (i32.const 0)
   )
   (loop $axis2
    (block
     (block
      (local.set $4
       (f64x2.splat
        (f64.const 0)
       )
      )
      (local.set $5
       (f64x2.splat
        (f64.const 0)
       )
      )
      (local.set $6
       (f64.const 0)
      )
      (block
       (local.set $1
        (i32.const 0)
       )
       (loop $lanes0
        (local.set $3
         (v128.load align=4
          (i32.shl
           (i32.add
            (i32.mul
             (local.get $0)
             (i32.const 9)
            )
            (local.get $1)
           )
           (i32.const 2)
          )
         )
        )
        (local.set $4
         (f64x2.add
          (local.get $4)
          (f64x2.promote_low_f32x4
           (local.get $3)
          )
         )
        )
        (local.set $5
         (f64x2.add
          (local.get $5)
          (f64x2.promote_low_f32x4
           (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
            (local.get $3)
            (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
           )
          )
         )
        )
        (local.set $1
         (i32.add
          (local.get $1)
          (i32.const 4)
         )
        )
        (br_if $lanes0
         (i32.le_s
          (local.get $1)
          (i32.const 5)
         )
        )
       )
       (loop $rest1
        (local.set $6
         (f64.add
          (local.get $6)
          (f64.promote_f32
           (f32.load
            (i32.shl
             (i32.add
              (i32.mul
               (local.get $0)
               (i32.const 9)
              )
              (local.get $1)
             )
             (i32.const 2)
            )
           )
          )
         )
        )
        (local.set $1
         (i32.add
          (local.get $1)
          (i32.const 1)
         )
        )
        (br_if $rest1
         (i32.lt_s
          (local.get $1)
          (i32.const 9)
         )
        )
       )
      )
      (local.set $7
       (f32.demote_f64
        (f64.add
         (f64.add
          (f64.add
           (f64x2.extract_lane 0
            (local.get $4)
           )
           (f64x2.extract_lane 1
            (local.get $4)
           )
          )
          (f64.add
           (f64x2.extract_lane 0
            (local.get $5)
           )
           (f64x2.extract_lane 1
            (local.get $5)
           )
          )
         )
         (local.get $6)
        )
       )
      )
     )
     (f32.store offset=80
      (i32.shl
       (local.get $2)
       (i32.const 2)
      )
      (local.get $7)
     )
     (local.set $2
      (i32.add
       (local.get $2)
       (i32.const 1)
      )
     )
    )
    (local.set $0
     (i32.add
      (local.get $0)
      (i32.const 1)
     )
    )
    (br_if $axis2
     (i32.lt_s
      (local.get $0)
      (i32.const 2)
     )
    )
   )
  )
 )
 (func $run
  (call $k0)
 )
 ;; custom section "kiln.program", size 64, contents: "ff12644ef52713bc8d1f445a206a9da1ce9068eb3f1be014fd5c275a7d074925"
)

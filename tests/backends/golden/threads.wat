(module
 (type $0 (func (param f64) (result f64)))
 (type $1 (func (param i32) (result i32)))
 (type $2 (func (param i32)))
 (type $3 (func (param f64 f64) (result f64)))
 (type $4 (func (param i32 i32)))
 (type $5 (func (param i32 i32 i32)))
 (import "env" "memory" (memory $memory 1 1 shared))
 (import "host" "log" (func $log (param f64) (result f64)))
 (import "host" "sin" (func $sin (param f64) (result f64)))
 (import "host" "cos" (func $cos (param f64) (result f64)))
 (import "host" "pow" (func $pow (param f64 f64) (result f64)))
 (import "host" "gather_range" (func $gather_range (param i32 i32)))
 (import "host" "load_range" (func $load_range (param i32 i32 i32)))
 (export "run" (func $run))
 (func $barrier (param $0 i32) (result i32)
  (local $1 i32)
  (local $2 i32)
  (local.set $1
   (i32.atomic.load offset=68
    (i32.const 0)
   )
  )
  (if
   (i32.eq
    (i32.atomic.rmw.add offset=64
     (i32.const 0)
     (i32.const 1)
    )
    (i32.const 1)
   )
   (then
    (i32.atomic.store offset=64
     (i32.const 0)
     (i32.const 0)
    )
    (i32.atomic.store offset=68
     (i32.const 0)
     (i32.add
      (local.get $1)
      (i32.const 1)
     )
    )
    (drop
     (memory.atomic.notify
      (i32.const 68)
      (i32.const -1)
     )
    )
    (return
     (i32.atomic.load offset=72
      (i32.const 0)
     )
    )
   )
  )
  (local.set $2
   (i32.const 0)
  )
  (loop $wait
   (if
    (i32.atomic.load offset=72
     (i32.const 0)
    )
    (then
     (return
      (i32.const 1)
     )
    )
   )
   (if
    (i32.ne
     (i32.atomic.load offset=68
      (i32.const 0)
     )
     (local.get $1)
    )
    (then
     (return
      (i32.atomic.load offset=72
       (i32.const 0)
      )
     )
    )
   )
   (local.set $2
    (i32.add
     (local.get $2)
     (i32.const 1)
    )
   )
   (if
    (i32.and
     (i32.ge_u
      (local.get $2)
      (i32.const 262144)
     )
     (i32.ne
      (local.get $0)
      (i32.const 0)
     )
    )
    (then
     (drop
      (memory.atomic.wait32
       (i32.const 68)
       (local.get $1)
       (i64.const -1)
      )
     )
    )
   )
   (br $wait)
  )
 )
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
 (func $k0 (param $0 i32)
  (local $1 i32)
  (local $2 i32)
  (local.set $2
   (i32.and
    (i32.div_u
     (i32.mul
      (local.get $0)
      (i32.const 6)
     )
     (i32.const 2)
    )
    (i32.const -4)
   )
  )
  (local.set $1
   (i32.and
    (i32.div_u
     (i32.mul
      (local.get $0)
      (i32.const 6)
     )
     (i32.const 2)
    )
    (i32.const -4)
   )
  )
  (if
   (i32.le_s
    (local.get $1)
    (i32.sub
     (select
      (i32.const 6)
      (i32.and
       (i32.div_u
        (i32.mul
         (i32.add
          (local.get $0)
          (i32.const 1)
         )
         (i32.const 6)
        )
        (i32.const 2)
       )
       (i32.const -4)
      )
      (i32.eq
       (local.get $0)
       (i32.const 1)
      )
     )
     (i32.const 4)
    )
   )
   (then
    (loop $lanes0
     (v128.store offset=32 align=4
      (i32.shl
       (local.get $2)
       (i32.const 2)
      )
      (f32x4.mul
       (v128.load align=4
        (i32.shl
         (local.get $2)
         (i32.const 2)
        )
       )
       (v128.const i32x4 0x40400000 0x40400000 0x40400000 0x40400000)
      )
     )
     (local.set $2
      (i32.add
       (local.get $2)
       (i32.const 4)
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
       (i32.sub
        (select
         (i32.const 6)
         (i32.and
          (i32.div_u
           (i32.mul
            (i32.add
             (local.get $0)
             (i32.const 1)
            )
            (i32.const 6)
           )
           (i32.const 2)
          )
          (i32.const -4)
         )
         (i32.eq
          (local.get $0)
          (i32.const 1)
         )
        )
        (i32.const 4)
       )
      )
     )
    )
   )
  )
  (if
   (i32.lt_s
    (local.get $1)
    (select
     (i32.const 6)
     (i32.and
      (i32.div_u
       (i32.mul
        (i32.add
         (local.get $0)
         (i32.const 1)
        )
        (i32.const 6)
       )
       (i32.const 2)
      )
      (i32.const -4)
     )
     (i32.eq
      (local.get $0)
      (i32.const 1)
     )
    )
   )
   (then
    (loop $rest1
     (f32.store offset=32
      (i32.shl
       (local.get $2)
       (i32.const 2)
      )
      (f32.mul
       (f32.load
        (i32.shl
         (local.get $2)
         (i32.const 2)
        )
       )
       (f32.const 3)
      )
     )
     (local.set $2
      (i32.add
       (local.get $2)
       (i32.const 1)
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
       (select
        (i32.const 6)
        (i32.and
         (i32.div_u
          (i32.mul
           (i32.add
            (local.get $0)
            (i32.const 1)
           )
           (i32.const 6)
          )
          (i32.const 2)
         )
         (i32.const -4)
        )
        (i32.eq
         (local.get $0)
         (i32.const 1)
        )
       )
      )
     )
    )
   )
  )
 )
 (func $run (param $0 i32)
  (call $k0
   (local.get $0)
  )
 )
 ;; custom section "kiln.threads", size 36, contents: "{\"threads\":2,\"pages\":1,\"control\":64}"
 ;; custom section "kiln.program", size 64, contents: "a7b6336559f99438807006e09b32be43084e08c7c32e3de9724282767e9e84eb"
)

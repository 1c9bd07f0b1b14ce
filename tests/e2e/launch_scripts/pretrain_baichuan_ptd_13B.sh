# examples/baichuan/pretrain_baichuan_ptd_13B.sh, paths and sizes tiny (TP 8 -> 1, 40 layers -> 2).
GLOBAL_BATCH=4
MICRO_BATCH=1

DATA_PATH=$WORK/data_text_document
TOKENIZER_PATH=$WORK/tokenizer

CHECKPOINT_PATH=$WORK/ckpt
LOAD_PATH=$WORK/ckpt

$ASCENT train \
       --DDP-impl local \
       --tensor-model-parallel-size 1 \
       --pipeline-model-parallel-size 1 \
       --sequence-parallel \
       --num-layers 2 \
       --hidden-size 40 \
       --ffn-hidden-size 96 \
       --num-attention-heads 4 \
       --micro-batch-size $MICRO_BATCH \
       --global-batch-size $GLOBAL_BATCH \
       --seq-length 32 \
       --normalization RMSNorm \
       --max-position-embeddings 32 \
       --train-iters $ITERS \
       --save $CHECKPOINT_PATH \
       --load $LOAD_PATH \
       --data-path $DATA_PATH \
       --tokenizer-name-or-path $TOKENIZER_PATH \
       --tokenizer-not-use-fast \
       --data-impl mmap \
       --split 949,50,1 \
       --make-vocab-size-divisible-by 8 \
       --distributed-backend nccl \
       --lr 1e-6 \
       --lr-decay-style cosine \
       --min-lr 1e-8 \
       --weight-decay 1e-1 \
       --position-embedding-type alibi \
       --clip-grad 1.0 \
       --initial-loss-scale 8188.0 \
       --seed 1234 \
       --adam-beta1 0.9 \
       --adam-beta2 0.95 \
       --adam-eps 1.0e-5 \
       --log-interval 1 \
       --save-interval 1000 \
       --eval-interval 1000 \
       --eval-iters 10 \
       --fp16
